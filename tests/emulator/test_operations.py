"""Every operation of the official spec is either emulated or answers a spec-shaped "not emulated";
a method a path does not have answers 405 with ``Allow``; parameters outside the spec are
refused (form field types, paging) or ignored, never echoed (app options)."""

from __future__ import annotations

import pytest
import requests

from hsnb.emulator.service.operations import API_KEY_OPERATIONS, EMULATED, NOT_EMULATED
from tests.emulator import openapi_spec

SPEC_OPERATIONS = {(method, path) for method, path, _ in openapi_spec.operations()}


def call(emulator, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(
        method, emulator.api_url + path, auth=(emulator.api_key, ""), timeout=10, **kwargs
    )


def test_emulated_and_not_emulated_cover_the_spec_exactly_once():
    assert set(EMULATED) | set(NOT_EMULATED) == SPEC_OPERATIONS
    assert not set(EMULATED) & set(NOT_EMULATED)
    assert not set(API_KEY_OPERATIONS) & SPEC_OPERATIONS  # newer than the spec copy


@pytest.mark.parametrize("method, path", NOT_EMULATED, ids=lambda v: str(v))
def test_an_operation_not_emulated_answers_a_spec_shaped_400_saying_so(emulator, method, path):
    concrete = path.split("?")[0].replace("{", "").replace("}", "")
    answer = call(emulator, method, concrete, json={})
    assert answer.status_code == 400, answer.text
    assert openapi_spec.errors("ErrorResponse", answer.json()) == []
    error = answer.json()["error"]
    assert error["error_name"] == "bad_request"
    assert error["error_msg"].startswith(f"{method} {path.split('?')[0]} is not emulated")


def test_bulk_send_no_longer_falls_into_get_signature_request(emulator):
    answer = call(emulator, "POST", "/signature_request/bulk_send_with_template", json={})
    assert answer.status_code == 400
    assert "is not emulated" in answer.json()["error"]["error_msg"]


def test_an_operation_not_emulated_still_needs_credentials(emulator):
    answer = requests.post(emulator.api_url + "/signature_request/bulk_send_with_template")
    assert answer.status_code == 401
    assert answer.json()["error"]["error_name"] == "unauthorized"


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("POST", "/signature_request/abc", "GET"),
        ("DELETE", "/account", "GET, POST, PUT"),
        ("GET", "/signature_request/bulk_send_with_template", "POST"),
        ("PATCH", "/api_app/abc", "GET, PUT, DELETE"),
        ("GET", "/signature_request/send", "POST"),
    ],
)
def test_a_method_the_path_lacks_answers_405_with_allow(emulator, method, path, allow):
    answer = call(emulator, method, path)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == allow
    assert answer.json()["error"]["error_name"] == "method_not_supported"


@pytest.mark.parametrize("path", ["/api_app/list", "/signature_request/list", "/template/list"])
@pytest.mark.parametrize(
    "query, error_path",
    [
        ({"page_size": "AAA"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
    ],
)
def test_paging_parameters_are_validated_on_every_list(emulator, path, query, error_path):
    answer = call(emulator, "GET", path, params=query)
    assert answer.status_code == 400
    assert answer.json()["error"]["error_path"] == error_path


def test_unknown_keys_in_app_options_are_ignored_not_echoed(emulator):
    body = {
        "name": "Echo",
        "domains": ["example.com"],
        "options": {"can_insert_everywhere": True, "sneaky": "x"},
        "white_labeling_options": {"link_color": "#FF0000", "evil": "<script>"},
    }
    app = call(emulator, "POST", "/api_app", json=body).json()["api_app"]
    assert app["options"] == {"can_insert_everywhere": True}
    assert app["white_labeling_options"] == {"link_color": "#FF0000"}
    assert openapi_spec.errors("ApiAppResponse", app) == []


def test_a_bad_legal_version_is_refused(emulator):
    body = {
        "name": "Legal",
        "domains": ["example.com"],
        "white_labeling_options": {"legal_version": "terms9"},
    }
    answer = call(emulator, "POST", "/api_app", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["error_path"] == "white_labeling_options.legal_version"


@pytest.mark.parametrize("kind", ["", "teleport", None])
def test_an_unknown_form_field_type_is_refused(emulator, kind):
    body = {
        "client_id": emulator.client_id,
        "file_urls": ["data:text/plain,Hello"],
        "signers": [{"name": "Jack", "email_address": "jack@example.com"}],
        "form_fields_per_document": [
            {"document_index": 0, "api_id": "a", "type": kind, "required": True, "signer": 0}
        ],
    }
    answer = call(emulator, "POST", "/signature_request/create_embedded", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["error_path"] == "form_fields_per_document[0].type"
    assert error["error_msg"].startswith("form_fields_per_document[0].type must be one of")
