"""``hsnb trigger`` for real work: field overrides, app callbacks, whole scenarios with
duplicates, disorder, loss and pauses, each delivery judged as Dropbox Sign would.

Payloads are checked with the official SDK (its strict models and ``EventCallbackHelper``);
the CLI runs over real HTTP against hsnb's listener and against handlers that answer wrongly.
"""

from __future__ import annotations

from typing import Any

import pytest
from dropbox_sign import EventCallbackHelper
from dropbox_sign.models import EventCallbackRequest

from hsnb.cli import main
from hsnb.errors import TriggerError
from hsnb.events import ACK_TEXT, parse_event, verify_event
from hsnb.payloads import apply_overrides, parse_override
from hsnb.scenarios import SCENARIOS, lifecycle, plan
from hsnb.testing import Receiver
from hsnb.trigger import customise, sample_payload, scenario
from tests.conftest import KEY

T0 = 1_767_225_600


def types(payloads: list[dict[str, Any]]) -> list[str]:
    return [p["event"]["event_type"] for p in payloads]


# -- overrides -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("signature_request.title=NDA", ("signature_request.title", "NDA")),
        ("a.b=3", ("a.b", 3)),
        ("a.b=true", ("a.b", True)),
        ("a.b=null", ("a.b", None)),
        ('a.b="7"', ("a.b", "7")),
        ('a.b={"case": [1]}', ("a.b", {"case": [1]})),
        ("a.b=x=y", ("a.b", "x=y")),
        ("a.b=", ("a.b", "")),
    ],
)
def test_an_override_is_a_path_and_a_json_or_text_value(text: str, expected: Any) -> None:
    assert parse_override(text) == expected


@pytest.mark.parametrize("text", ["no-equals-sign", "=value", "  =1"])
def test_an_override_without_a_path_is_refused(text: str) -> None:
    with pytest.raises(TriggerError, match="an override is PATH=VALUE"):
        parse_override(text)


def test_overrides_reach_nested_keys_list_items_and_create_missing_ones() -> None:
    payload = sample_payload("signature_request_signed", KEY, event_time=T0, seed=1)
    changed = apply_overrides(
        payload,
        [
            ("signature_request.title", "NDA"),
            ("signature_request.signatures.1.status_code", "signed"),
            ("signature_request.metadata.case", 42),
            ("extra.new", [1]),
        ],
    )
    request = changed["signature_request"]
    assert request["title"] == "NDA" and request["metadata"] == {"case": 42}
    assert [s["status_code"] for s in request["signatures"]] == ["signed", "signed"]
    assert changed["extra"] == {"new": [1]}
    assert payload["signature_request"]["title"] == "Mutual NDA"  # the original is untouched


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("signature_request.signatures.5.status_code", "'5' is not an index of a 2-item list"),
        ("signature_request.signatures.first", "'first' is not an index"),
        ("signature_request.title.text", "signature_request.title is 'Mutual NDA', not an object"),
    ],
)
def test_an_override_that_cannot_apply_says_why(path: str, message: str) -> None:
    payload = sample_payload("signature_request_sent", KEY, event_time=T0, seed=1)
    with pytest.raises(TriggerError, match=message):
        apply_overrides(payload, [(path, "x")])


def test_customise_signs_again_unless_the_hash_itself_is_overridden() -> None:
    payload = sample_payload("signature_request_sent", KEY, event_time=T0, seed=1)
    later = customise(payload, KEY, {"event.event_time": str(T0 + 99)})
    assert verify_event(parse_event(later), KEY) == KEY
    forged = customise(payload, KEY, {"event.event_hash": "0" * 64})
    assert forged["event"]["event_hash"] == "0" * 64


def test_an_app_callback_is_what_the_sdk_calls_an_app_callback() -> None:
    payload = sample_payload("signature_request_sent", KEY, event_time=T0, client_id="app123")
    metadata = payload["event"]["event_metadata"]
    assert (metadata["reported_for_app_id"], metadata["reported_for_account_id"]) == (
        "app123",
        None,
    )
    assert payload["client_id"] == payload["signature_request"]["client_id"] == "app123"
    callback = EventCallbackRequest.init(payload)
    assert EventCallbackHelper.get_callback_type(callback) == "app_callback"


# -- scenarios -------------------------------------------------------------------------------


def test_the_happy_life_is_sent_viewed_signed_per_signer_then_all_signed_and_downloadable() -> None:
    payloads = lifecycle("happy", KEY, signers=2, start_time=T0, seed=3)
    assert types(payloads) == [
        "signature_request_sent",
        "signature_request_viewed",
        "signature_request_signed",
        "signature_request_viewed",
        "signature_request_signed",
        "signature_request_all_signed",
        "signature_request_downloadable",
    ]
    requests = [p["signature_request"] for p in payloads]
    assert len({r["signature_request_id"] for r in requests}) == 1
    assert [int(p["event"]["event_time"]) for p in payloads] == list(range(T0, T0 + 7))
    statuses = [[s["status_code"] for s in r["signatures"]] for r in requests]
    assert statuses[1] == ["awaiting_signature"] * 2
    assert statuses[2] == ["signed", "awaiting_signature"]
    assert statuses[4] == statuses[5] == ["signed", "signed"]
    assert [r["is_complete"] for r in requests] == [False] * 4 + [True] * 3
    ids = [s["signature_id"] for s in requests[0]["signatures"]]
    related = [p["event"]["event_metadata"]["related_signature_id"] for p in payloads]
    assert related == [None, ids[0], ids[0], ids[1], ids[1], None, None]


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_passes_the_official_sdk(name: str) -> None:
    for payload in lifecycle(name, KEY, start_time=T0, seed=1, client_id="app1"):
        assert EventCallbackHelper.is_valid(KEY, EventCallbackRequest.init(payload))


def test_a_declined_life_ends_with_the_reason_and_a_file_error_stands_alone() -> None:
    declined = lifecycle("declined", KEY, start_time=T0, seed=1)
    last = declined[-1]
    assert last["event"]["event_metadata"]["event_message"] == "Not the right contract"
    assert last["signature_request"]["is_declined"] is True
    assert last["signature_request"]["signatures"][0]["status_code"] == "declined"
    failed = lifecycle("file_error", KEY, start_time=T0, seed=1)
    assert types(failed) == ["file_error"] and failed[0]["signature_request"]["has_error"]


def test_an_unknown_scenario_or_signer_count_is_refused() -> None:
    with pytest.raises(TriggerError, match="unknown scenario 'sad'; choose one of happy"):
        lifecycle("sad", KEY, start_time=T0)
    with pytest.raises(TriggerError, match="signers must be 1 to 4, not 5"):
        lifecycle("happy", KEY, start_time=T0, signers=5)


def test_a_plan_repeats_with_its_seed_and_keeps_every_event() -> None:
    payloads = lifecycle("happy", KEY, start_time=T0, seed=1)
    options = {"duplicates": 0.5, "disorder": 0.5, "loss": 0.2, "delay": (0.1, 0.3)}
    first = plan(payloads, seed=8, **options)
    assert first == plan(payloads, seed=8, **options)
    assert first != plan(payloads, seed=9, **options)
    assert sorted({d.position for d in first}) == list(range(len(payloads)))
    assert all(0.1 <= d.pause <= 0.3 for d in first if not d.lost)
    assert all(d.pause == 0 for d in first if d.lost)


def test_a_plan_can_lose_everything_or_send_everything_twice_after_the_original() -> None:
    payloads = lifecycle("happy", KEY, start_time=T0, seed=1)
    assert all(d.lost for d in plan(payloads, loss=1.0, seed=1))
    twice = plan(payloads, duplicates=1.0, seed=1)
    assert len(twice) == 2 * len(payloads)
    for position in range(len(payloads)):
        copies = [d.copy for d in twice if d.position == position]
        assert copies == [0, 1]


def test_disorder_moves_events_later_but_sends_each_once() -> None:
    payloads = lifecycle("happy", KEY, start_time=T0, seed=1)
    assert [d.position for d in plan(payloads, disorder=0.0, seed=1)] == list(range(7))
    assert [d.position for d in plan(payloads, disorder=0.5, seed=1)] == [0, 3, 2, 1, 4, 5, 6]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"loss": 1.5}, "loss is a probability from 0 to 1, not 1.5"),
        ({"duplicates": -0.1}, "duplicates is a probability"),
        ({"delay": (2.0, 1.0)}, "delay is low,high seconds"),
    ],
)
def test_impossible_plans_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(TriggerError, match=message):
        plan(lifecycle("happy", KEY, start_time=T0), **options)


def test_a_scenario_pauses_as_planned_through_the_sleep_it_is_given(receiver: Receiver) -> None:
    pauses: list[float] = []
    report = scenario("declined", receiver.url, KEY, delay=(0.2, 0.4), seed=5, sleep=pauses.append)
    assert report.ok and len(pauses) == 3 and all(0.2 <= p <= 0.4 for p in pauses)
    assert receiver.types() == [
        "signature_request_sent",
        "signature_request_viewed",
        "signature_request_declined",
    ]


# -- the command line, over real HTTP ------------------------------------------------------


def test_cli_scenario_reaches_a_listener_in_order_and_exits_0(listener: Any, capsys) -> None:
    argv = ["trigger", "--scenario", "happy", "--url", listener.url, "--api-key", KEY]
    assert main([*argv, "--seed", "2", "--signers", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (
        "happy: 9 events, 9 deliveries sent (0 duplicate, 0 lost, in order); 9 acknowledged"
    )
    assert out[0].startswith("#1 signature_request_sent: OK: 200")
    assert listener.events()["event_type"].tolist()[-2:] == [
        "signature_request_all_signed",
        "signature_request_downloadable",
    ]
    assert KEY not in "\n".join(out)


def test_cli_scenario_with_duplicates_disorder_and_loss_reports_each(listener: Any, capsys) -> None:
    argv = ["trigger", "--scenario", "happy", "--url", listener.url, "--api-key", KEY]
    options = ["--seed", "4", "--duplicates", "0.5", "--disorder", "0.4", "--loss", "0.2"]
    assert main([*argv, *options]) == 0
    out = capsys.readouterr().out
    assert "[duplicate]: OK" in out and "LOST (not sent)" in out
    assert "out of order" in out.splitlines()[-1]
    verdicts = listener.deliveries()["verdict"].value_counts()
    assert verdicts[verdicts > 0].to_dict() == {"accepted": 6, "duplicate": 3}


def test_cli_scenario_reports_a_handler_that_answers_wrongly_and_exits_1(capsys) -> None:
    script = [(500, "oops", 0.0), (200, "OK", 0.0), (200, ACK_TEXT, 3.0)]
    with Receiver(script=script) as handler:
        argv = ["trigger", "--scenario", "declined", "--url", handler.url, "--api-key", KEY]
        assert main([*argv, "--timeout", "0.5"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "#1 signature_request_sent: NOT ACKNOWLEDGED: status 500, expected 200, answer 'oops' "
        "(Dropbox Sign would retry)"
    )
    assert "NOT ACKNOWLEDGED: body 'OK' lacks 'Hello API Event Received'" in lines[1]
    assert "FAILED: no answer within 0.5 s (Dropbox Sign would retry)" in lines[2]
    assert lines[-1].endswith("1 http_error, 1 timeout, 1 wrong_answer")


def test_cli_override_and_app_reach_the_listener_signed(listener: Any, capsys) -> None:
    argv = ["trigger", "signature_request_sent", "--url", listener.url, "--api-key", KEY]
    extra = ["--override", "signature_request.title=NDA", "--override", "event.event_time=1700"]
    assert main([*argv, *extra, "--app", "client42"]) == 0
    event = listener.wait_for("signature_request_sent", timeout=5)
    assert event.payload["signature_request"]["title"] == "NDA"
    assert (event.event_time, event.reported_for_app_id) == ("1700", "client42")
    assert event.callback_type == "app_callback"


def test_cli_overriding_the_hash_is_a_forgery_the_listener_refuses(listener: Any, capsys) -> None:
    argv = ["trigger", "signature_request_sent", "--url", listener.url, "--api-key", KEY]
    assert main([*argv, "--override", "event.event_hash=" + "0" * 64]) == 1
    assert "NOT ACKNOWLEDGED: status 403" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["callback_test", "--scenario", "happy"], "give either an EVENT_TYPE or --scenario"),
        ([], "give either an EVENT_TYPE or --scenario"),
        (["callback_test", "--override", "oops"], "an override is PATH=VALUE"),
    ],
)
def test_cli_trigger_refuses_what_it_cannot_send(extra: list[str], message: str, capsys) -> None:
    argv = ["trigger", "--url", "http://127.0.0.1:9/", "--api-key", KEY, *extra]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_trigger_refuses_a_probability_above_one(capsys) -> None:
    argv = ["trigger", "--scenario", "happy", "--url", "http://127.0.0.1:9/", "--loss", "2"]
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    assert "a probability from 0 to 1, not 2" in capsys.readouterr().err
