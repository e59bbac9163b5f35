"""``hsnb listen --answer`` and ``--forward-to`` as a user runs them: a real ``hsnb listen``
process, real handlers on 127.0.0.1, one line per delivery saying who answered and how Dropbox
Sign would count it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hsnb.clock_header import ANSWER_TIME_HEADER, CLOCK_HEADER, clock_header
from hsnb.events import ACK_TEXT
from hsnb.store import EventStore
from hsnb.testing import serve_app
from tests.conftest import KEY, post_multipart, sent_payload
from tests.handlers import Handler, Reply, Seen, send
from tests.test_cli import ListenProcess

EMULATED = 1_767_603_600.0


@pytest.fixture
def processes() -> Iterator[list[ListenProcess]]:
    """``hsnb listen`` processes a test starts; killed if the test left them running."""
    started: list[ListenProcess] = []
    yield started
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait(10)


def listen(
    processes: list[ListenProcess], tmp_path: Path, *options: str, stdin: bool = False
) -> ListenProcess:
    process = ListenProcess(tmp_path / "events.sqlite", "--api-key", KEY, *options, stdin=stdin)
    processes.append(process)
    return process


def test_scripted_answers_are_sent_stored_and_printed(
    processes: list[ListenProcess], tmp_path: Path
) -> None:
    cli = listen(
        processes,
        tmp_path,
        "--answer",
        "next=2 status=500",
        "--answer",
        "type=signature_request_signed body=OK",
        "--answer",
        "next=1 type=signature_request_viewed drop",
    )
    assert cli.readline() == "answering: next=2 status=500"
    assert cli.readline() == "answering: type=signature_request_signed status=200 body=OK"
    assert cli.readline() == "answering: next=1 type=signature_request_viewed drop"
    statuses = [post_multipart(cli.url, sent_payload()).status_code for _ in range(3)]
    signed = post_multipart(cli.url, sent_payload(event_type="signature_request_signed"))
    assert statuses == [500, 500, 200] and signed.text == "OK"
    with pytest.raises(OSError):
        post_multipart(cli.url, sent_payload(event_type="signature_request_viewed"))
    code, out = cli.finish()
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("accepted 500 signature_request_sent " + "a" * 40)
    assert lines[0].endswith("; scripted: next=2 status=500 (1 of 2), http_error")
    assert lines[1].startswith("duplicate 500 signature_request_sent")
    assert lines[1].endswith("(2 of 2), http_error")
    assert (
        lines[2].startswith("duplicate 200 signature_request_sent") and "scripted" not in lines[2]
    )
    assert lines[3].startswith("accepted 200 signature_request_signed")
    assert lines[3].endswith(
        "; scripted: type=signature_request_signed status=200 body=OK, wrong_answer"
    )
    assert lines[4].startswith("accepted - signature_request_viewed")
    assert lines[4].endswith("drop (1 of 1), connection_error")
    assert lines[-1].startswith("stopped; 3 events in ")
    rows = EventStore(tmp_path / "events.sqlite").delivery_rows()
    assert [r["scripted"] for r in rows] == [
        "next=2 status=500 (1 of 2)",
        "next=2 status=500 (2 of 2)",
        None,
        "type=signature_request_signed status=200 body=OK",
        "next=1 type=signature_request_viewed drop (1 of 1)",
    ]


def test_rules_typed_on_stdin_take_effect_while_it_runs(
    processes: list[ListenProcess], tmp_path: Path
) -> None:
    cli = listen(processes, tmp_path, "--answer-stdin", stdin=True)
    assert post_multipart(cli.url, sent_payload()).text == ACK_TEXT
    assert cli.readline().startswith("accepted 200 signature_request_sent")
    stdin = cli.process.stdin
    assert stdin is not None
    stdin.write("next=1 status=503 body='try later'\n")
    stdin.flush()
    assert cli.readline() == "answering: next=1 status=503 body='try later'"
    answer = post_multipart(cli.url, sent_payload())
    assert (answer.status_code, answer.text) == (503, "try later")
    assert cli.readline().endswith(
        "; scripted: next=1 status=503 body='try later' (1 of 1), http_error"
    )
    stdin.write("status=seven\nrules\ntype=signature_request_sent status=500\nclear\n")
    stdin.flush()
    assert cli.readline() == (
        "not added: answer rule 'status=seven': status must be a whole number, not 'seven'"
    )
    assert cli.readline() == "answer rules: none"
    assert cli.readline() == "answering: type=signature_request_sent status=500"
    assert cli.readline() == "answer rules cleared: the listener answers by itself"
    assert post_multipart(cli.url, sent_payload()).text == ACK_TEXT
    code, _ = cli.finish()
    assert code == 0


def test_a_rule_that_cannot_be_read_stops_it_at_start_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DROPBOX_SIGN", "HSNB_"))}
    done = subprocess.run(
        [sys.executable, "-m", "hsnb.cli", "listen", "--store", str(tmp_path / "e.sqlite")]
        + ["--answer", "next=0 status=500"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "hsnb: answer rule 'next=0 status=500': next must be a whole number of 1 or more, not 0"
    )


def test_forward_to_relays_and_reports_each_handler_answer(
    processes: list[ListenProcess], tmp_path: Path
) -> None:
    replies = [
        Reply(),
        Reply(200, "OK"),
        Reply(500, "boom"),
        Reply(delay=3),
        Reply(headers={ANSWER_TIME_HEADER: "45"}),
    ]
    seen: list[Seen] = []
    with serve_app([(r"/.*", Handler, {"replies": replies, "seen": seen})]) as handler:
        url = handler.url("/cb")
        cli = listen(processes, tmp_path, "--forward-to", url, "--forward-timeout", "1")
        assert cli.readline() == f"forwarding to {url}"
        answers = [send(cli.url) for _ in range(4)]
        virtual = clock_header(KEY, EMULATED, "virtual", time.time())
        answers.append(send(cli.url, **{CLOCK_HEADER: virtual}))
        code, out = cli.finish(signal.SIGINT)
    assert code == 0
    assert [a.status_code for a in answers] == [200, 200, 500, 504, 200]
    assert [a.text for a in answers[:3]] == [ACK_TEXT, "OK", "boom"]
    assert len(seen) == 5
    lines = out.splitlines()
    assert "accepted 200 signature_request_sent" in lines[0]
    assert f"; handler 200 {ACK_TEXT!r} in " in lines[0] and lines[0].endswith(": acknowledged")
    assert "duplicate 200 signature_request_sent" in lines[1]
    assert lines[1].endswith(f": wrong_answer (no {ACK_TEXT!r} in the body)")
    assert "duplicate 500 signature_request_sent" in lines[2]
    assert "; handler 500 'boom' in " in lines[2] and lines[2].endswith(
        ": http_error (expected 200)"
    )
    assert "duplicate 504 signature_request_sent" in lines[3]
    assert lines[3].endswith("; handler: no answer within 1 s: timeout (the sender got 504)")
    assert lines[4].endswith(": timeout (Dropbox Sign waits 30 s; it said it took 45 s)")
    rows = EventStore(tmp_path / "events.sqlite").delivery_rows()
    assert [r["forward_outcome"] for r in rows] == [
        "acknowledged",
        "wrong_answer",
        "http_error",
        "timeout",
        "timeout",
    ]
    assert [r["forwarded_status"] for r in rows] == [200, 200, 500, None, 200]


def test_forward_to_a_handler_that_is_down_says_so(
    processes: list[ListenProcess], tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cli = listen(processes, tmp_path, "--forward-to", f"http://127.0.0.1:{port}/cb")
    cli.readline()
    assert send(cli.url).status_code == 502
    code, out = cli.finish()
    first = out.splitlines()[0]
    assert first.startswith("accepted 502 signature_request_sent")
    assert "; handler: connection refused after " in first
    assert first.endswith(": connection_error (the sender got 502)")
    assert "stopped; 1 events in " in out


def test_a_password_in_the_forward_url_is_never_printed(
    processes: list[ListenProcess], tmp_path: Path
) -> None:
    replies: list[Reply] = []
    seen: list[Seen] = []
    with serve_app([(r"/.*", Handler, {"replies": replies, "seen": seen})]) as handler:
        url = handler.url("/cb").replace("http://", "http://hooks:pa55word@")
        cli = listen(processes, tmp_path, "--forward-to", url)
        assert cli.readline() == f"forwarding to {url.replace('pa55word', '***')}"
        assert send(cli.url).text == ACK_TEXT
        code, out = cli.finish()
    assert code == 0 and "pa55word" not in out
    assert seen[0].headers["Authorization"] == "Basic aG9va3M6cGE1NXdvcmQ="  # hooks:pa55word
    assert "pa55word" not in str(EventStore(tmp_path / "events.sqlite").delivery_rows())
