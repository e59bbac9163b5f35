"""The ``hsnb`` command as a user runs it: real processes, real signals, real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import tornado.httpserver
import tornado.web

from hsnb.cli import main
from hsnb.events import ACK_TEXT
from hsnb.listener import Listener
from hsnb.store import EventStore
from hsnb.testing import serve_app
from tests.conftest import KEY, post_multipart, sent_payload


class ListenProcess:
    """``hsnb listen`` in a child process; reads its first line to learn the URL."""

    def __init__(self, store: Path, *extra: str, stdin: bool = False) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("DROPBOX_SIGN_API_KEY", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hsnb.cli", "listen", "--store", str(store), *extra],
            stdin=subprocess.PIPE if stdin else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        first = self.readline()
        assert first.startswith("listening on http://127.0.0.1:"), first
        self.url = first.split()[-1]

    def readline(self) -> str:
        """The next line it printed (failing the test after 20 s without one)."""
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.process.stdout.readline()))
        reader.start()
        reader.join(20)
        if not result:
            self.process.kill()
            pytest.fail("hsnb listen printed nothing within 20 s")
        return result[0].rstrip("\n")

    def finish(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        self.process.send_signal(signum)
        out, _ = self.process.communicate(timeout=20)
        return self.process.returncode, out


@pytest.fixture
def listen(tmp_path: Path) -> Iterator[ListenProcess]:
    process = ListenProcess(tmp_path / "events.sqlite", "--api-key", KEY)
    yield process
    if process.process.poll() is None:
        process.process.kill()
        process.process.wait(10)


def test_listen_prints_url_then_one_line_per_delivery_and_stops_on_sigterm(
    listen: ListenProcess, tmp_path: Path
) -> None:
    assert post_multipart(listen.url, sent_payload()).text == ACK_TEXT
    assert post_multipart(listen.url, sent_payload()).text == ACK_TEXT
    assert post_multipart(listen.url, sent_payload(key="forged")).status_code == 403
    code, out = listen.finish(signal.SIGTERM)
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("accepted 200 signature_request_sent " + "a" * 40)
    assert lines[1].startswith("duplicate 200 signature_request_sent")
    assert lines[2] == "rejected 403 event_hash does not match any configured API key"
    assert lines[-1].startswith("stopped; 1 events in ")
    assert len(EventStore(tmp_path / "events.sqlite")) == 1


def test_listen_stops_cleanly_on_sigint(listen: ListenProcess) -> None:
    code, out = listen.finish(signal.SIGINT)
    assert code == 0 and "stopped; 0 events" in out


def test_acknowledged_events_survive_a_hard_kill(listen: ListenProcess, tmp_path: Path) -> None:
    ids = [f"{n:040x}" for n in range(20)]
    for request_id in ids:
        assert post_multipart(listen.url, sent_payload(request_id)).text == ACK_TEXT
    listen.finish(signal.SIGKILL)
    store = EventStore(tmp_path / "events.sqlite")
    assert sorted(s.event.signature_request_id for s in store.stored_events()) == ids


def test_trigger_reports_success_against_a_correct_receiver(capsys: pytest.CaptureFixture) -> None:
    with Listener(api_keys=KEY, name="test-trigger") as listener:
        code = main(
            ["trigger", "signature_request_all_signed", "--url", listener.url, "--api-key", KEY]
        )
        frame = listener.events()
    out = capsys.readouterr().out
    assert code == 0
    assert "OK: 200 'Hello API Event Received'" in out
    assert KEY not in out
    assert frame["event_type"].tolist() == ["signature_request_all_signed"]
    assert frame["signer_status_code"].tolist() == ["signed"]


class WrongBody(tornado.web.RequestHandler):
    def post(self) -> None:
        self.write("ok thanks")


def test_trigger_explains_a_receiver_that_answers_the_wrong_body(
    capsys: pytest.CaptureFixture,
) -> None:
    with serve_app([(r"/.*", WrongBody)]) as server:
        code = main(["trigger", "callback_test", "--url", server.url(), "--api-key", KEY])
    assert code == 1
    assert (
        "NOT ACKNOWLEDGED: body 'ok thanks' lacks 'Hello API Event Received'"
        in capsys.readouterr().out
    )


def test_trigger_explains_an_unreachable_receiver(capsys: pytest.CaptureFixture) -> None:
    code = main(
        [
            "trigger",
            "callback_test",
            "--url",
            "http://127.0.0.1:9/",
            "--api-key",
            KEY,
            "--timeout",
            "2",
        ]
    )
    assert code == 1
    assert "FAILED: ConnectionError" in capsys.readouterr().out


def test_trigger_needs_a_key(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DROPBOX_SIGN_API_KEY", raising=False)
    assert main(["trigger", "callback_test", "--url", "http://127.0.0.1:9/"]) == 2
    assert "give --api-key or set DROPBOX_SIGN_API_KEY" in capsys.readouterr().err


def test_trigger_reproduces_ids_with_a_seed() -> None:
    from hsnb.trigger import sample_payload

    first = sample_payload("signature_request_sent", KEY, event_time=1, seed=7)
    assert first == sample_payload("signature_request_sent", KEY, event_time=1, seed=7)
    assert first != sample_payload("signature_request_sent", KEY, event_time=1, seed=8)


def test_a_fixed_port_is_free_again_right_after_a_killed_listener(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    first = ListenProcess(tmp_path / "a.sqlite", "--port", str(port))
    assert post_multipart(first.url, sent_payload()).text == ACK_TEXT  # a real connection
    first.finish(signal.SIGKILL)  # like a kernel restart: no clean shutdown
    second = ListenProcess(tmp_path / "b.sqlite", "--port", str(port))
    try:
        assert second.url == f"http://127.0.0.1:{port}/callback"
        assert post_multipart(second.url, sent_payload()).text == ACK_TEXT
    finally:
        second.finish()


SAMPLE_LOG = Path(__file__).resolve().parents[1] / "data" / "events" / "sample-log.sqlite"


def test_replay_posts_a_stored_log_again_and_a_second_replay_is_all_duplicates(
    capsys: pytest.CaptureFixture,
) -> None:
    before = SAMPLE_LOG.read_bytes()
    source = EventStore(SAMPLE_LOG, read_only=True)
    expected = [s.event.identity for s in source.stored_events()]
    with Listener(api_keys=[], name="test-replay") as listener:
        assert main(["replay", str(SAMPLE_LOG), "--url", listener.url]) == 0
        assert main(["replay", str(SAMPLE_LOG), "--url", listener.url]) == 0
        replayed = [s.event.identity for s in listener.store.stored_events()]
        verdicts = listener.deliveries()["verdict"].value_counts()
    assert sorted(replayed) == sorted(expected)
    assert (verdicts["accepted"], verdicts["duplicate"]) == (len(expected), len(expected))
    assert f"{len(expected)} of {len(expected)} acknowledged" in capsys.readouterr().out
    assert SAMPLE_LOG.read_bytes() == before  # read-only: the committed sample is untouched


def test_replay_exits_1_when_the_receiver_does_not_acknowledge(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "one.sqlite")
    from hsnb.events import parse_event
    from hsnb.store import RequestInfo

    store.record_event(RequestInfo("POST", "/", {}, b""), parse_event(sent_payload()))
    store.close()
    url = "http://127.0.0.1:9/"
    assert main(["replay", str(tmp_path / "one.sqlite"), "--url", url, "--timeout", "2"]) == 1


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_writes_events_and_deliveries(tmp_path: Path, fmt: str) -> None:
    import pandas as pd

    assert main(["export", str(SAMPLE_LOG), "--out", str(tmp_path), "--format", fmt]) == 0
    source = EventStore(SAMPLE_LOG, read_only=True)
    read = pd.read_csv if fmt == "csv" else (lambda p: pd.read_json(p, lines=True))
    events = read(tmp_path / f"events.{fmt}")
    deliveries = read(tmp_path / f"deliveries.{fmt}")
    assert len(events) == len(source) and len(deliveries) == len(source.delivery_rows())
    assert set(events["event_type"]) == {s.event.event_type for s in source.stored_events()}


HEAVY = ("pandas", "tornado", "hsnb.emulator.server", "hsnb.emulator.service.backend", "pypdf")


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["emulator", "--help"],
        ["trigger", "callback_test", "--url", "http://127.0.0.1:9/", "--api-key=k", "--timeout=1"],
    ],
    ids=["help", "emulator-help", "trigger"],
)
def test_light_commands_start_without_pandas_or_the_emulator(argv: list[str]) -> None:
    script = (
        "import sys\n"
        "from hsnb.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_cli_on_a_taken_port_says_so_in_one_line(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "hsnb.cli",
                "listen",
                "--port",
                str(port),
                "--store",
                str(tmp_path / "e.sqlite"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.strip() == f"hsnb: cannot listen on 127.0.0.1:{port}: Address already in use"
