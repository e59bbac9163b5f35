"""Answer rules as written (``hsnb listen --answer``, ``Listener.script``): read, refused with a
reason, matched in order, used up; and the relay's judgement of a handler's answer."""

from __future__ import annotations

import pytest

from hsnb.answers import AnswerRule, AnswerScript, ScriptedAnswer, parse_rule
from hsnb.errors import AnswerRuleError
from hsnb.events import ACK_TEXT, parse_event
from hsnb.payloads import compact_json
from hsnb.records import RequestInfo
from hsnb.relay import Relay, judge
from tests.conftest import sent_payload

REQUEST = RequestInfo("POST", "/callback", {}, b"")
SENT = parse_event(compact_json(sent_payload()))
SIGNED = parse_event(compact_json(sent_payload(event_type="signature_request_signed")))


@pytest.mark.parametrize(
    ("text", "status", "body", "delay", "drop", "store", "count", "types"),
    [
        ("next=3 status=500", 500, "scripted answer 500", 0.0, False, True, 3, None),
        ("type=signature_request_sent status=200 body=OK", 200, "OK", 0.0, False, True, None,
         {"signature_request_sent"}),
        ("next=1 delay=35", 200, ACK_TEXT, 35.0, False, True, 1, None),
        ("next=1 drop store=no", 200, ACK_TEXT, 0.0, True, False, 1, None),
        ("type=a,b body='not the ack'", 200, "not the ack", 0.0, False, True, None, {"a", "b"}),
    ],
)  # fmt: skip
def test_a_rule_is_read_from_its_words(text, status, body, delay, drop, store, count, types):
    rule = parse_rule(text)
    answer = rule.answer
    assert (answer.status, answer.text, answer.delay) == (status, body, delay)
    assert (answer.drop, answer.store, rule.count) == (drop, store, count)
    assert rule.event_types == (None if types is None else frozenset(types))
    assert parse_rule(rule.text).text == rule.text  # its words read back the same


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("next=3 color=red", "cannot read 'color=red'"),
        ("status=five", "status must be a whole number, not 'five'"),
        ("status=700", "status must be from 100 to 599, not 700"),
        ("delay=-1", "delay must be from 0 to 3600 seconds"),
        ("delay=soon", "delay must be seconds, not 'soon'"),
        ("next=0", "next must be a whole number of 1 or more"),
        ("status=500 status=200", "status is given twice"),
        ("drop=yes", "cannot read 'drop=yes'"),
        ("next", "cannot read 'next'"),
        ("store=maybe", "store must be yes or no"),
        ("body='unclosed", "No closing quotation"),
        ("type=", "type needs at least one event type"),
    ],
)
def test_a_rule_that_cannot_be_read_is_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(AnswerRuleError, match=message) as caught:
        parse_rule(text)
    assert isinstance(caught.value, ValueError)


def test_the_first_matching_rule_answers_and_a_counted_rule_is_used_up() -> None:
    script = AnswerScript(["type=signature_request_signed body=OK", "next=2 status=500"])
    picks = [script.choose(REQUEST, event) for event in (SENT, SIGNED, SENT, SENT, SIGNED)]
    labels = [None if pick is None else pick.label for pick in picks]
    assert labels == [
        "next=2 status=500 (1 of 2)",
        "type=signature_request_signed status=200 body=OK",
        "next=2 status=500 (2 of 2)",
        None,  # used up: the listener answers by itself
        "type=signature_request_signed status=200 body=OK",
    ]
    assert [rule.text for rule in script.rules()] == [
        "type=signature_request_signed status=200 body=OK"
    ]
    script.clear()
    assert not script.active and script.choose(REQUEST, SIGNED) is None


def test_a_policy_answers_what_no_rule_matched() -> None:
    seen: list[str] = []

    def policy(request: RequestInfo, event) -> ScriptedAnswer | None:
        seen.append(event.event_type)
        return ScriptedAnswer(503) if event.event_type == "signature_request_sent" else None

    script = AnswerScript(["type=signature_request_signed status=500"], policy=policy)
    assert script.choose(REQUEST, SENT).label == "policy status=503"
    assert script.choose(REQUEST, SIGNED).label == "type=signature_request_signed status=500"
    assert seen == ["signature_request_sent"]  # a matching rule is not second-guessed


def test_a_scripted_answer_says_how_dropbox_sign_counts_it() -> None:
    outcomes = [
        ScriptedAnswer().outcome,
        ScriptedAnswer(200, "OK").outcome,
        ScriptedAnswer(500).outcome,
        ScriptedAnswer(delay=31).outcome,
        ScriptedAnswer(drop=True).outcome,
    ]
    assert outcomes == ["acknowledged", "wrong_answer", "http_error", "timeout", "connection_error"]


def test_an_answer_rule_given_as_an_object_keeps_its_words() -> None:
    rule = AnswerRule(ScriptedAnswer(200, "nope", delay=2), frozenset({"x"}), count=4)
    assert rule.text == "next=4 type=x status=200 body=nope delay=2"


def test_the_relay_counts_a_handler_answer_as_dropbox_sign_would() -> None:
    ack = ACK_TEXT.encode()
    assert judge(200, ack, 29.9) == "acknowledged"
    assert judge(200, ack + b" thanks", 0.1) == "acknowledged"  # "containing", the default
    assert judge(200, ack, 30.5) == "timeout"  # late: the sender gave up at 30 s
    assert judge(200, ack, 0.1, said=31.0) == "timeout"  # it said so, under virtual time
    assert judge(200, b"OK", 0.1) == "wrong_answer"
    assert judge(201, ack, 0.1) == "http_error"
    assert judge(301, b"", 0.1) == "http_error"


def test_the_relay_refuses_a_target_that_is_not_an_http_url() -> None:
    for url in ("localhost:5000/cb", "ftp://example.com/cb", "http:///cb"):
        with pytest.raises(ValueError, match="forward_to must be an http"):
            Relay(url)


def test_hop_by_hop_headers_and_the_ones_connection_names_are_not_forwarded() -> None:
    headers = {
        "Host": "listener.example",
        "Connection": "keep-alive, X-Secret-Hop",
        "X-Secret-Hop": "1",
        "Keep-Alive": "timeout=5",
        "Transfer-Encoding": "chunked",
        "Expect": "100-continue",
        "Proxy-Authorization": "Basic abc",
        "Content-Length": "12",
        "Content-Type": "multipart/form-data; boundary=x",
        "X-Hsnb-Attempt": "1.1",
        "Authorization": "Basic dXNlcjpwYXNz",
    }
    forwarded = Relay("http://127.0.0.1:1/cb").forward_headers(headers)
    assert forwarded == {
        "Content-Type": "multipart/form-data; boundary=x",
        "X-Hsnb-Attempt": "1.1",
        "Authorization": "Basic dXNlcjpwYXNz",  # end to end: the handler may need it
    }
