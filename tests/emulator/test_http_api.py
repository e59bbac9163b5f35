"""The emulated API over real HTTP: encodings, shapes, auth, errors and rate limits."""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests

from hsnb.emulator import Emulator
from tests.emulator.helpers import FAST, create_form, document, signers

TIMEOUT = 10


def call(emulator, method, path, *, auth=True, **kwargs):
    """One API call (Basic auth with the emulator's key unless ``auth`` says otherwise)."""
    kwargs["auth"] = (emulator.api_key, "") if auth is True else auth
    return requests.request(method, emulator.api_url + path, timeout=TIMEOUT, **kwargs)


def error_of(response):
    """The ``error`` object of an error answer."""
    return response.json()["error"]


def create(emulator, **kwargs):
    """create_embedded with the NDA and two signers; the signature request object."""
    response = call(
        emulator,
        "POST",
        "/signature_request/create_embedded",
        **create_form(emulator.client_id, **kwargs),
    )
    assert response.status_code == 200, response.text
    emulator.wait_idle(TIMEOUT)  # processing (zero-delay or due) has ended
    return response.json()["signature_request"]


# -- encodings ---------------------------------------------------------------------------------


def test_bracket_multipart_create(emulator):
    sr = create(emulator)
    assert [s["signer_name"] for s in sr["signatures"]] == ["Jack", "Jill"]
    assert sr["signing_url"] is None
    assert sr["files_url"].endswith(f"/v3/signature_request/files/{sr['signature_request_id']}")


def test_sdk_style_multipart_with_json_values(emulator):
    data = {
        "client_id": emulator.client_id,
        "signers": json.dumps(signers(2)),
        "metadata": json.dumps({"case": "42"}),
        "test_mode": "True",
        "use_text_tags": "true",
    }
    files = {"files[0]": ("nda.pdf", document("nda-two-signers.pdf"), "application/pdf")}
    response = call(emulator, "POST", "/signature_request/create_embedded", data=data, files=files)
    sr = response.json()["signature_request"]
    assert sr["metadata"] == {"case": "42"} and sr["test_mode"] is True
    assert len(sr["signatures"]) == 2


def test_json_body_without_files_is_a_bad_request(emulator):
    body = {"client_id": emulator.client_id, "signers": signers(1)}
    response = call(emulator, "POST", "/signature_request/create_embedded", json=body)
    assert response.status_code == 400
    assert error_of(response) == {
        "error_msg": "Must specify files or file_urls.",
        "error_name": "bad_request",
        "error_path": "files",
    }


def test_bad_boolean_is_a_bad_request_naming_the_field(emulator):
    form = create_form(emulator.client_id)
    form["data"]["test_mode"] = "perhaps"
    response = call(emulator, "POST", "/signature_request/create_embedded", **form)
    assert response.status_code == 400
    assert error_of(response)["error_path"] == "test_mode"
    assert "must be a boolean" in error_of(response)["error_msg"]


def test_invalid_json_body(emulator):
    response = call(
        emulator,
        "POST",
        "/signature_request/send",
        data=b"{oops",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert error_of(response)["error_name"] == "bad_request"


def test_send_has_a_signing_url(emulator):
    form = create_form(emulator.client_id)
    del form["data"]["client_id"]
    response = call(emulator, "POST", "/signature_request/send", **form)
    assert response.json()["signature_request"]["signing_url"].startswith(emulator.base_url)


# -- auth and errors ---------------------------------------------------------------------------


def test_no_credentials(emulator):
    response = call(emulator, "GET", "/account", auth=None)
    assert response.status_code == 401
    assert error_of(response) == {
        "error_msg": "Unauthorized user. No credentials supplied.",
        "error_name": "unauthorized",
    }


def test_unknown_api_key(emulator):
    response = call(emulator, "GET", "/account", auth=("not-the-key", ""))
    assert response.status_code == 401
    assert error_of(response)["error_msg"] == "Unauthorized api key."


def test_bearer_token(emulator):
    headers = {"Authorization": f"Bearer {emulator.access_token}"}
    response = call(emulator, "GET", "/account", auth=None, headers=headers)
    assert response.json()["account"]["account_id"] == emulator.account_id


def test_malformed_basic_header(emulator):
    headers = {"Authorization": "Basic ???"}
    response = call(emulator, "GET", "/account", auth=None, headers=headers)
    assert error_of(response)["error_msg"] == "Malformed Basic authorization header."


def test_basic_header_built_by_hand(emulator):
    token = base64.b64encode(f"{emulator.api_key}:".encode()).decode()
    response = call(
        emulator, "GET", "/account", auth=None, headers={"Authorization": f"Basic {token}"}
    )
    assert response.status_code == 200


def test_unknown_request_is_not_found(emulator):
    response = call(emulator, "GET", "/signature_request/" + "0" * 40)
    assert response.status_code == 404
    assert error_of(response) == {"error_msg": "Not found.", "error_name": "not_found"}


def test_unknown_path_is_not_found(emulator):
    response = call(emulator, "GET", "/template/no_such_thing/x")
    assert (response.status_code, error_of(response)["error_name"]) == (404, "not_found")


def test_wrong_method_is_method_not_supported(emulator):
    response = call(emulator, "DELETE", "/signature_request/list")
    assert (response.status_code, error_of(response)["error_name"]) == (405, "method_not_supported")


def test_injected_api_fault(emulator):
    emulator.inject_fault("api", "maintenance", match="/account")
    first, second = call(emulator, "GET", "/account"), call(emulator, "GET", "/account")
    assert (first.status_code, error_of(first)["error_name"]) == (503, "maintenance")
    assert second.status_code == 200


# -- rate limits -------------------------------------------------------------------------------


def test_rate_limit_headers_on_success():
    with Emulator(**{**FAST, "rate_limit": 5}) as emulator:
        response = call(emulator, "GET", "/account")
        assert response.headers["X-RateLimit-Limit"] == "5"
        assert response.headers["X-RateLimit-Remaining"] == "4"
        reset = int(response.headers["X-Ratelimit-Reset"])
        assert time.time() < reset <= time.time() + 61  # wall clock: the window is real time
        assert "Retry-After" not in response.headers


def test_no_rate_limit_headers_when_the_limit_is_off():
    with Emulator(**{**FAST, "rate_limit": None}) as emulator:
        response = call(emulator, "GET", "/account")
        assert response.status_code == 200
        assert not [name for name in response.headers if "ratelimit" in name.lower()]


def test_exceeded_rate_past_the_limit():
    with Emulator(**{**FAST, "rate_limit": 2}) as emulator:
        answers = [call(emulator, "GET", "/account") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert error_of(answers[2])["error_name"] == "exceeded_rate"
        assert answers[2].headers["X-RateLimit-Remaining"] == "0"
        assert 1 <= int(answers[2].headers["Retry-After"]) <= 60


def test_test_mode_limit_counts_test_mode_creates():
    with Emulator(**{**FAST, "test_mode_rate_limit": 1}) as emulator:
        form = create_form(emulator.client_id)
        form["data"]["test_mode"] = "1"
        path = "/signature_request/create_embedded"
        statuses = [call(emulator, "POST", path, **form).status_code for _ in range(2)]
        assert statuses == [200, 429]
        del form["data"]["test_mode"]
        assert call(emulator, "POST", path, **form).status_code == 200


# -- signature requests ------------------------------------------------------------------------


def test_get_returns_the_request_in_the_spec_shape(emulator):
    sr = create(emulator)
    response = call(emulator, "GET", f"/signature_request/{sr['signature_request_id']}")
    body = response.json()["signature_request"]
    assert body["signature_request_id"] == sr["signature_request_id"]
    assert {"is_complete", "is_declined", "has_error", "signatures", "created_at"} <= set(body)


def test_list_pages(emulator):
    ids = [create(emulator)["signature_request_id"] for _ in range(3)]
    response = call(emulator, "GET", "/signature_request/list", params={"page": 2, "page_size": 2})
    body = response.json()
    assert body["list_info"] == {"page": 2, "num_pages": 2, "num_results": 3, "page_size": 2}
    assert [sr["signature_request_id"] for sr in body["signature_requests"]] == [ids[0]]


def test_list_page_size_out_of_range(emulator):
    response = call(emulator, "GET", "/signature_request/list", params={"page_size": 0})
    assert error_of(response)["error_path"] == "page_size"


def test_files_conflict_while_processing_then_pdf(manual_emulator):
    sr = create(manual_emulator)
    path = f"/signature_request/files/{sr['signature_request_id']}"
    busy = call(manual_emulator, "GET", path)
    assert (busy.status_code, error_of(busy)["error_name"]) == (409, "conflict")
    manual_emulator.advance(5)
    ready = call(manual_emulator, "GET", path)
    assert ready.headers["Content-Type"] == "application/pdf"
    assert ready.content.startswith(b"%PDF")


def test_files_as_zip(emulator):
    sr = create(emulator)
    response = call(
        emulator,
        "GET",
        f"/signature_request/files/{sr['signature_request_id']}",
        params={"file_type": "zip"},
    )
    assert response.headers["Content-Type"] == "application/zip"


def test_files_as_data_uri(emulator):
    sr = create(emulator)
    response = call(
        emulator, "GET", f"/signature_request/files_as_data_uri/{sr['signature_request_id']}"
    )
    assert response.json()["data_uri"].startswith("data:application/pdf;base64,")


def test_files_as_file_url_serves_the_pdf_without_auth(emulator):
    sr = create(emulator)
    response = call(
        emulator, "GET", f"/signature_request/files_as_file_url/{sr['signature_request_id']}"
    )
    body = response.json()
    download = requests.get(body["file_url"], timeout=TIMEOUT)
    assert download.content.startswith(b"%PDF")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert body["expires_at"] > emulator.clock.timestamp()


def test_cancel_then_gone(emulator):
    sr = create(emulator)
    request_id = sr["signature_request_id"]
    cancel = call(emulator, "POST", f"/signature_request/cancel/{request_id}")
    assert (cancel.status_code, cancel.json()) == (200, {})
    gone = call(emulator, "GET", f"/signature_request/{request_id}")
    assert (gone.status_code, error_of(gone)["error_name"]) == (410, "deleted")


def test_cancel_while_processing_fails(manual_emulator):
    sr = create(manual_emulator)
    response = call(
        manual_emulator, "POST", f"/signature_request/cancel/{sr['signature_request_id']}"
    )
    assert error_of(response)["error_name"] == "signature_request_cancel_failed"


def test_remind_embedded_is_an_invalid_reminder(emulator):
    sr = create(emulator)
    response = call(
        emulator,
        "POST",
        f"/signature_request/remind/{sr['signature_request_id']}",
        json={"email_address": "jack@example.com"},
    )
    assert (response.status_code, error_of(response)["error_name"]) == (400, "invalid_reminder")


def test_sign_url_before_processing_finished(manual_emulator):
    sr = create(manual_emulator)
    response = call(
        manual_emulator, "GET", f"/embedded/sign_url/{sr['signatures'][0]['signature_id']}"
    )
    assert response.status_code == 409
    assert error_of(response) == {
        "error_msg": "This request cannot be signed yet",
        "error_name": "conflict",
    }


def test_sign_url_shape(emulator):
    sr = create(emulator)
    signature_id = sr["signatures"][0]["signature_id"]
    embedded = call(emulator, "GET", f"/embedded/sign_url/{signature_id}").json()["embedded"]
    assert embedded["sign_url"].startswith(
        f"{emulator.base_url}/editor/embeddedSign?signature_id={signature_id}&token="
    )
    assert embedded["expires_at"] == emulator.clock.timestamp() + 3600


# -- account and apps --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_account_callback_url_update(emulator, method):
    response = call(emulator, method, "/account", data={"callback_url": "http://127.0.0.1:1/cb"})
    assert response.json()["account"]["callback_url"] == "http://127.0.0.1:1/cb"
    assert emulator.callback_url == "http://127.0.0.1:1/cb"


def test_account_callback_url_invalid(emulator):
    response = call(emulator, "PUT", "/account", json={"callback_url": "foo"})
    assert error_of(response) == {
        "error_msg": "Invalid url for callback_url : foo",
        "error_name": "bad_request",
        "error_path": "callback_url",
    }


def test_api_app_life_cycle(emulator):
    created = call(emulator, "POST", "/api_app", data={"name": "Mine", "domains[]": "example.com"})
    assert created.status_code == 201
    client_id = created.json()["api_app"]["client_id"]
    updated = call(
        emulator, "PUT", f"/api_app/{client_id}", json={"callback_url": "http://127.0.0.1:1/x"}
    )
    assert updated.json()["api_app"]["callback_url"] == "http://127.0.0.1:1/x"
    assert call(emulator, "GET", f"/api_app/{client_id}").json()["api_app"]["name"] == "Mine"
    assert call(emulator, "DELETE", f"/api_app/{client_id}").status_code == 204
    assert call(emulator, "GET", f"/api_app/{client_id}").status_code == 404


def test_api_app_needs_a_name(emulator):
    response = call(emulator, "POST", "/api_app", json={"domains": ["example.com"]})
    assert error_of(response) == {
        "error_msg": "name is required.",
        "error_name": "bad_request",
        "error_path": "name",
    }


def test_error_answers_keep_the_rate_limit_headers_of_the_call_they_counted():
    with Emulator(**{**FAST, "rate_limit": 5}) as emulator:
        missing = call(emulator, "GET", "/signature_request/" + "0" * 40)
        assert missing.status_code == 404
        assert missing.headers["X-RateLimit-Remaining"] == "4"
        assert call(emulator, "GET", "/account").headers["X-RateLimit-Remaining"] == "3"


def test_api_app_list_pages_like_every_list(emulator):
    made = call(emulator, "POST", "/api_app", json={"name": "Second", "domains": ["example.org"]})
    assert made.status_code == 201
    first = call(emulator, "GET", "/api_app/list", params={"page_size": 1}).json()
    second = call(emulator, "GET", "/api_app/list", params={"page_size": 1, "page": 2}).json()
    assert first["list_info"] == {"page": 1, "num_pages": 2, "num_results": 2, "page_size": 1}
    assert [a["name"] for a in first["api_apps"] + second["api_apps"]] == [
        "hsnb emulator app",
        "Second",
    ]


@pytest.mark.parametrize(
    ("query", "path"), [({"page_size": "AAA"}, "page_size"), ({"page_size": 0}, "page_size")]
)
def test_api_app_list_refuses_a_bad_page(emulator, query, path):
    response = call(emulator, "GET", "/api_app/list", params=query)
    assert response.status_code == 400
    assert error_of(response)["error_path"] == path


def test_basic_auth_with_non_ascii_text_is_401(emulator):
    answer = requests.get(f"{emulator.api_url}/account", headers={"Authorization": "Basic \xe9=="})
    assert (answer.status_code, answer.json()["error"]["error_name"]) == (401, "unauthorized")
