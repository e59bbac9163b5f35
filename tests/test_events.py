"""hsnb.events: the hash agrees with the official SDK; parsing is lenient; verification strict."""

from __future__ import annotations

import json

import pytest
from dropbox_sign import EventCallbackHelper
from dropbox_sign.models import EventCallbackRequest

from hsnb.errors import PayloadError, SignatureVerificationError
from hsnb.events import (
    APP_CALLBACK,
    KNOWN_EVENT_TYPES,
    compute_event_hash,
    parse_event,
    verify_event,
)
from tests.conftest import KEY, SDK_TEST_KEY, fixture_json, sent_payload

FIXTURES = [
    "official_test_fixture_EventCallbackHelper_AccountCallbacks.json",
    "official_test_fixture_EventCallbackHelper_AppCallbacks.json",
]


def test_known_types_are_exactly_the_sdk_enum() -> None:
    field = EventCallbackRequest.model_fields["event"].annotation
    with pytest.raises(ValueError):
        field.event_type_validate_enum("not_an_event")
    for event_type in KNOWN_EVENT_TYPES:
        assert field.event_type_validate_enum(event_type) == event_type
    assert len(set(KNOWN_EVENT_TYPES)) == 30


def test_synthetic_hash_vectors_match() -> None:
    vectors = fixture_json("synthetic_hash_vectors.json")
    for vector in vectors["vectors"]:
        computed = compute_event_hash(
            vectors["api_key"], vector["event_time"], vector["event_type"]
        )
        assert computed == vector["event_hash"]


@pytest.mark.parametrize("fixture_file", FIXTURES)
def test_official_fixtures_verify_with_sdk_key_and_agree_with_sdk(fixture_file: str) -> None:
    fixtures = fixture_json(fixture_file)
    for name, payload in fixtures.items():
        event = parse_event(json.dumps(payload))
        assert verify_event(event, SDK_TEST_KEY) == SDK_TEST_KEY, name
        sdk_model = EventCallbackRequest.init(payload)
        assert EventCallbackHelper.is_valid(SDK_TEST_KEY, sdk_model), name
        assert event.callback_type == EventCallbackHelper.get_callback_type(sdk_model), name


def test_hash_accepts_integer_event_time_as_its_decimal_form() -> None:
    assert compute_event_hash(KEY, 1348177752, "x") == compute_event_hash(KEY, "1348177752", "x")


def test_hash_refuses_empty_key() -> None:
    with pytest.raises(ValueError, match="non-empty API key"):
        compute_event_hash("", "1", "callback_test")


def test_verify_rejects_wrong_key_with_reason() -> None:
    event = parse_event(sent_payload())
    with pytest.raises(SignatureVerificationError, match="does not match any configured API key"):
        verify_event(event, "another-key")


def test_verify_accepts_any_of_several_keys_and_names_it() -> None:
    event = parse_event(sent_payload())
    assert verify_event(event, ["other", KEY]) == KEY


def test_verify_without_keys_is_an_error_not_a_pass() -> None:
    with pytest.raises(SignatureVerificationError, match="no API key"):
        verify_event(parse_event(sent_payload()), [])


def test_verify_rejects_a_changed_event_type() -> None:
    payload = sent_payload()
    payload["event"]["event_type"] = "signature_request_all_signed"
    with pytest.raises(SignatureVerificationError):
        verify_event(parse_event(payload), KEY)


def test_verify_tolerance_window() -> None:
    event = parse_event(sent_payload(event_time=1_000))
    assert verify_event(event, KEY, tolerance=60, now=1_030) == KEY
    with pytest.raises(SignatureVerificationError, match="outside the 60 s window"):
        verify_event(event, KEY, tolerance=60, now=1_100)


def test_parse_keeps_unknown_event_type_and_flags_it() -> None:
    payload = sent_payload(event_type="signature_request_teleported")
    event = parse_event(payload)
    assert event.event_type == "signature_request_teleported"
    assert not event.is_known_type
    assert verify_event(event, KEY) == KEY


def test_parse_reads_top_level_ids_and_metadata() -> None:
    payload = sent_payload(account_guid="acc", client_id="app", reported_for_app_id="app")
    event = parse_event(json.dumps(payload).encode())
    assert (event.account_guid, event.client_id) == ("acc", "app")
    assert event.callback_type == APP_CALLBACK
    assert event.signature_request_id == "a" * 40
    assert event.signer == payload["signature_request"]["signatures"][0]


def test_parse_accepts_missing_metadata_and_numeric_time() -> None:
    event = parse_event(
        {"event": {"event_type": "callback_test", "event_time": 12, "event_hash": ""}}
    )
    assert event.event_time == "12"
    assert event.related_signature_id is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe", "not UTF-8"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object, not list"),
        ("{}", "no 'event' object"),
        ('{"event": {"event_time": "1", "event_hash": "x"}}', "event_type is missing"),
        ('{"event": {"event_type": "x", "event_hash": "x"}}', "event_time is missing"),
        (
            '{"event": {"event_type": "x", "event_time": "soon", "event_hash": "x"}}',
            "not Unix seconds",
        ),
        ('{"event": {"event_type": "x", "event_time": true, "event_hash": "x"}}', "event_time"),
        ('{"event": {"event_type": "x", "event_time": "1"}}', "event_hash is missing"),
    ],
)
def test_parse_errors_name_the_problem(body: str | bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_event(body)


def test_identity_is_stable_across_retries_and_distinguishes_events() -> None:
    first = parse_event(sent_payload())
    retry = parse_event(json.loads(json.dumps(sent_payload())))
    assert first.identity == retry.identity
    assert first.identity != parse_event(sent_payload(event_time=1_700_000_001)).identity
    assert first.identity != parse_event(sent_payload(request_id="b" * 40)).identity
    app_delivery = parse_event(sent_payload(reported_for_app_id="app"))
    assert first.identity != app_delivery.identity
