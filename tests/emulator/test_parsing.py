"""The three request encodings become one normalised dict."""

from __future__ import annotations

import json

import pytest
import requests

from hsnb.emulator.service.parsing import (
    API_APP,
    SIGNATURE_REQUEST,
    UploadedFile,
    normalise,
    parse_bool,
    parse_form,
    parse_json,
)
from hsnb.errors import BadRequest
from tests.emulator.helpers import document

PDF = UploadedFile("a.pdf", b"%PDF-1.4", "application/pdf")
EXPECTED_SIGNERS = [
    {"name": "Jack", "email_address": "jack@example.com", "order": 0},
    {"name": "Jill", "email_address": "jill@example.com", "order": 1},
]


def test_bracket_multipart_like_the_official_curl_examples():
    fields = [
        ("client_id", "abc"),
        ("signers[0][name]", "Jack"),
        ("signers[0][email_address]", "jack@example.com"),
        ("signers[0][order]", "0"),
        ("signers[1][name]", "Jill"),
        ("signers[1][email_address]", "jill@example.com"),
        ("signers[1][order]", "1"),
        ("cc_email_addresses[]", "a@example.com"),
        ("cc_email_addresses[]", "b@example.com"),
        ("signing_options[draw]", "1"),
        ("test_mode", "1"),
    ]
    params = normalise(parse_form(fields, [("files[0]", PDF)]), SIGNATURE_REQUEST)
    assert params["signers"] == EXPECTED_SIGNERS
    assert params["cc_email_addresses"] == ["a@example.com", "b@example.com"]
    assert params["signing_options"] == {"draw": True}
    assert params["test_mode"] is True
    assert params["files"] == [PDF]


def test_sdk_multipart_with_json_encoded_values():
    fields = [("signers", json.dumps(EXPECTED_SIGNERS)), ("test_mode", "True")]
    fields.append(("metadata", json.dumps({"case": "42"})))
    params = normalise(parse_form(fields, [("files[0]", PDF)]), SIGNATURE_REQUEST)
    assert params["signers"] == EXPECTED_SIGNERS
    assert params["metadata"] == {"case": "42"}
    assert params["test_mode"] is True


def test_json_body():
    body = json.dumps({"signers": EXPECTED_SIGNERS, "test_mode": True}).encode()
    params = normalise(parse_json(body), SIGNATURE_REQUEST)
    assert params == {"signers": EXPECTED_SIGNERS, "test_mode": True}


def test_legacy_file_field_name():
    params = parse_form([], [("file[0]", PDF), ("file[1]", PDF)])
    assert params["files"] == [PDF, PDF]


def test_a_single_value_where_a_list_is_expected():
    assert normalise({"domains": "example.com"}, API_APP)["domains"] == ["example.com"]


def test_repeated_plain_fields_become_a_list():
    assert parse_form([("domains", "a.com"), ("domains", "b.com")]) == {
        "domains": ["a.com", "b.com"]
    }


@pytest.mark.parametrize("word", ["true", "True", "TRUE", "1", "yes", "on", True, 1])
def test_true_in_every_spelling(word):
    assert parse_bool(word) is True


@pytest.mark.parametrize("word", ["false", "False", "0", "no", "off", False, 0])
def test_false_in_every_spelling(word):
    assert parse_bool(word) is False


def test_a_bad_boolean_names_its_path():
    with pytest.raises(BadRequest, match="test_mode must be a boolean") as info:
        normalise({"test_mode": "maybe"}, SIGNATURE_REQUEST)
    assert info.value.error_path == "test_mode"


def test_a_bad_nested_integer_names_its_path():
    with pytest.raises(BadRequest, match="must be an integer") as info:
        normalise({"signers": [{"name": "A", "order": "first"}]}, SIGNATURE_REQUEST)
    assert info.value.error_path == "signers[0].order"


def test_invalid_json_text_in_a_form_field():
    with pytest.raises(BadRequest, match="signers must be a list") as info:
        normalise(parse_form([("signers", "[{oops")]), SIGNATURE_REQUEST)
    assert info.value.error_path == "signers"


def test_invalid_json_body():
    with pytest.raises(BadRequest, match="not valid JSON"):
        parse_json(b"{nope")


def test_json_body_must_be_an_object():
    with pytest.raises(BadRequest, match="must be a JSON object"):
        parse_json(b"[1, 2]")


def test_empty_value_is_absent_except_for_text():
    params = normalise({"test_mode": "", "callback_url": ""}, {**SIGNATURE_REQUEST, **API_APP})
    assert params == {"callback_url": ""}


def test_unknown_keys_pass_through():
    assert normalise({"future_option": "x"}, SIGNATURE_REQUEST) == {"future_option": "x"}


def test_a_unicode_digit_as_a_bracket_index_is_400(emulator):
    data = {
        "client_id": emulator.client_id,
        "signers[\u00b2][name]": "A",
        "signers[\u00b2][email_address]": "a@example.com",
    }
    files = {"files[0]": ("one-signer.pdf", document("one-signer.pdf"), "application/pdf")}
    answer = requests.post(
        f"{emulator.api_url}/signature_request/create_embedded",
        auth=(emulator.api_key, ""),
        data=data,
        files=files,
    )
    assert (answer.status_code, answer.json()["error"]["error_name"]) == (400, "bad_request")
