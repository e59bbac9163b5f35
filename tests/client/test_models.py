"""The typed results: lenient constructors, small reprs, frozen values; the package's API."""

from __future__ import annotations

import dataclasses

import pytest

import hsnb.client
from hsnb.client import ApiError, ListPage, RateLimit, SignatureRequest
from hsnb.errors import BadRequest, ServerError, api_error_class

MINIMAL = {"signature_request_id": "a" * 40, "signatures": [{"signature_id": "s" * 32}]}


def test_a_minimal_request_parses_with_defaults():
    sr = SignatureRequest.from_json(MINIMAL)
    assert (sr.title, sr.test_mode, sr.is_complete, sr.metadata, sr.warnings) == (
        None,
        False,
        False,
        {},
        (),
    )
    assert sr.signature_ids == ("s" * 32,)
    assert sr.raw is MINIMAL


def test_unknown_keys_stay_in_raw():
    sr = SignatureRequest.from_json({**MINIMAL, "brand_new_field": 1})
    assert sr.raw["brand_new_field"] == 1


def test_results_are_frozen_and_raw_stays_out_of_repr():
    sr = SignatureRequest.from_json({**MINIMAL, "files_url": "http://127.0.0.1:1/x"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        sr.title = "x"  # type: ignore[misc]
    assert "raw" not in repr(sr) and "127.0.0.1" not in repr(sr)


def test_signature_for_an_unknown_address():
    with pytest.raises(KeyError, match="nobody@example.com"):
        SignatureRequest.from_json(MINIMAL).signature_for("nobody@example.com")


def test_list_page_without_list_info():
    page = ListPage.from_json({"signature_requests": [MINIMAL]})
    assert (page.page, page.num_pages, page.num_results, len(page)) == (1, 1, 1, 1)
    assert not page.has_next


def test_rate_limit_headers_absent_or_unreadable():
    assert RateLimit.from_headers({}) is None
    assert RateLimit.from_headers({"X-RateLimit-Limit": "many"}) is None
    assert RateLimit.from_headers({"X-Ratelimit-Reset": "17"}) == RateLimit(None, None, 17)


def test_error_class_by_status_and_name():
    assert api_error_class(418) is ApiError
    assert api_error_class(502) is ServerError
    assert api_error_class(400, "invalid_reminder").__name__ == "InvalidReminder"
    assert api_error_class(409, "invalid_reminder").__name__ == "Conflict"
    assert api_error_class(400, "made_up_name") is BadRequest


def test_the_package_root_is_the_api():
    for name in hsnb.client.__all__:
        assert hasattr(hsnb.client, name), name
    assert "Client" in hsnb.client.__all__ and "ApiError" in hsnb.client.__all__
