"""Saving and loading an emulator's state: a loaded emulator goes on exactly as the saved one
would have (same events, same callback attempts at the same times with the same hashes), bad
files are refused without changing anything, and a key given by the caller is never written."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from pandas.testing import assert_frame_equal

from hsnb.emulator import Emulator
from hsnb.emulator.service.api_log import fingerprint
from hsnb.emulator.service.state_file import FORMAT, VERSION
from hsnb.errors import EmulatorError, StateFileError
from hsnb.events import ACK_TEXT
from hsnb.testing import TEST_API_KEY, Receiver
from tests.emulator.helpers import FAST, create_form, document
from tests.processes import start_emulator

WAIT = 15
#: A manual clock, random delays everywhere, and URLs without a port (payloads compare equal).
SETTINGS: dict[str, Any] = {
    **{k: v for k, v in FAST.items() if k != "name"},
    "time_scale": None,
    "seed": 7,
    "api_key": TEST_API_KEY,
    "processing_delay": 5,
    "signing_delay": "uniform:5,20",
    "file_prep_delay": 2,
    "callback_delay": "uniform:0,3",
    "public_base_url": "https://api.hellosign.test",
}
#: The receiver acknowledges two callbacks, then refuses two (so retries are pending).
SCRIPT = [(200, ACK_TEXT, 0.0)] * 2 + [(500, "down", 0.0)] * 2


def play(emulator: Emulator, seconds: float) -> None:
    """Fire every timer of the next ``seconds`` emulated seconds in order, each step's callbacks
    answered before the next (a manual clock)."""
    until = emulator.clock.now() + seconds
    assert emulator.wait_idle(WAIT)
    while (deadline := emulator.next_deadline()) is not None and deadline <= until:
        emulator.advance(max(0.0, deadline - emulator.clock.now()))
        assert emulator.wait_idle(WAIT)
    emulator.advance(max(0.0, until - emulator.clock.now()))
    assert emulator.wait_idle(WAIT)


def create(emulator: Emulator) -> dict[str, Any]:
    """A two-signer embedded request over HTTP; its JSON."""
    answer = requests.post(
        emulator.api_url + "/signature_request/create_embedded",
        auth=(TEST_API_KEY, ""),
        timeout=WAIT,
        **create_form(emulator.client_id),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["signature_request"]


def first_half(emulator: Emulator) -> list[str]:
    """Up to "one of two signers done", with a retry pending; the signature ids."""
    request = create(emulator)
    play(emulator, 10)
    signature_ids = [s["signature_id"] for s in request["signatures"]]
    emulator.sign(signature_ids[0])
    play(emulator, 60)
    return signature_ids


def second_half(emulator: Emulator, signature_ids: list[str]) -> str:
    """The second signer signs, retries play out, a new request is made; its id."""
    emulator.sign(signature_ids[1])
    play(emulator, 40 * 3600)
    request_id = create(emulator)["signature_request_id"]
    play(emulator, 60)
    return request_id


def received(receiver: Receiver) -> list[tuple[dict[str, Any], str]]:
    """Every callback a receiver got: its payload and its attempt header."""
    return [(r.payload, r.headers["X-Hsnb-Attempt"]) for r in receiver.received]


def test_save_load_and_go_on_is_the_continuous_run_retries_and_all(tmp_path: Path) -> None:
    with Receiver(script=list(SCRIPT)) as receiver:
        with Emulator(**SETTINGS, name="continuous", callback_url=receiver.url) as continuous:
            new_id = second_half(continuous, first_half(continuous))
            expected_attempts = continuous.deliveries()
            expected_events = continuous.emitted()
        expected_callbacks = received(receiver)

    with Receiver(script=list(SCRIPT)) as receiver:
        with Emulator(**SETTINGS, name="saved", callback_url=receiver.url) as saved:
            signature_ids = first_half(saved)
            path = saved.save_state(tmp_path / "one-of-two-signed.json")
        tasks = [timer["task"][0] for timer in json.loads(path.read_text())["clock"]["timers"]]
        assert "deliver" in tasks  # the refused signed callback waits for its retry
        with Emulator(**SETTINGS, name="loaded", state=path) as loaded:
            assert second_half(loaded, signature_ids) == new_id
            attempts = loaded.deliveries()
            events = loaded.emitted()
        callbacks = received(receiver)

    assert events == expected_events
    assert callbacks == expected_callbacks
    assert [p["event"]["event_type"] for p, _ in callbacks].count("signature_request_signed") > 2
    wall = ["url", "duration"]  # the receivers' ports, and real seconds on the wire
    assert_frame_equal(attempts.drop(columns=wall), expected_attempts.drop(columns=wall))
    assert "http_error" in set(attempts.outcome) and "acknowledged" in set(attempts.outcome)


def pending_everywhere(emulator: Emulator) -> None:
    """A world with a timer of every kind pending: processing of a request and of a template,
    a signer's signature and another's decline, a cancellation, an expiry, delayed callbacks."""
    auth = (TEST_API_KEY, "")
    api = emulator.api_url
    sent = create(emulator)
    cancelled = create(emulator)
    form = create_form(emulator.client_id)
    expires_at = int(emulator.clock.now()) + 86400 + 3600  # at least a day ahead
    form["data"].update(expires_at=str(expires_at), allow_decline="1")
    answer = requests.post(
        api + "/signature_request/create_embedded", auth=auth, timeout=WAIT, **form
    )
    expiring = answer.json()["signature_request"]
    play(emulator, 10)
    cancel = f"{api}/signature_request/cancel/{cancelled['signature_request_id']}"
    requests.post(cancel, auth=auth, timeout=WAIT).raise_for_status()
    emulator.sign(sent["signatures"][0]["signature_id"])
    emulator.decline(expiring["signatures"][1]["signature_id"], "wrong address")
    requests.post(
        api + "/template/create",
        auth=auth,
        timeout=WAIT,
        data={"signer_roles[0][name]": "Client", "title": "T"},
        files={"files[0]": ("t.txt", b"[sig|req|signer1]", "text/plain")},
    ).raise_for_status()
    create(emulator)


def test_every_kind_of_pending_timer_is_re_armed(tmp_path: Path) -> None:
    settings = {**SETTINGS, "cancel_delay": 30}
    with Receiver() as receiver:
        with Emulator(**settings, name="continuous", callback_url=receiver.url) as continuous:
            pending_everywhere(continuous)
            play(continuous, 2 * 86400)
            expected = continuous.emitted()
    with Receiver() as receiver:
        with Emulator(**settings, name="saved", callback_url=receiver.url) as saved:
            pending_everywhere(saved)
            path = saved.save_state(tmp_path / "state.json")
        timers = json.loads(path.read_text())["clock"]["timers"]
        kinds = {timer["task"][0] for timer in timers}
        assert kinds == {"process", "process_template", "signer", "canceled", "expire", "deliver"}
        with Emulator(**settings, name="loaded", state=path) as loaded:
            play(loaded, 2 * 86400)
            events = loaded.emitted()
    assert events == expected
    types = {e.event_type for e in events}
    assert {"template_created", "signature_request_declined", "signature_request_canceled"} <= types


def test_virtual_time_a_loaded_state_calls_back_a_new_listener(tmp_path: Path) -> None:
    settings = {**SETTINGS, "time_scale": "virtual"}
    with Receiver() as receiver:
        with Emulator(**settings, name="continuous", callback_url=receiver.url) as continuous:
            request = create(continuous)
            assert continuous.wait_settled(WAIT)
            ids = [s["signature_id"] for s in request["signatures"]]
            continuous.sign(ids[0])
            assert continuous.wait_settled(WAIT)
            continuous.sign(ids[1])
            assert continuous.wait_settled(WAIT)
        expected = received(receiver)
    with Receiver() as first, Receiver() as second:
        with Emulator(**settings, name="saved", callback_url=first.url) as saved:
            create(saved)
            assert saved.wait_settled(WAIT)
            saved.sign(ids[0])
            assert saved.wait_settled(WAIT)
            path = saved.save_state(tmp_path / "state.json")
        with Emulator(**settings, name="loaded", state=path, callback_url=second.url) as loaded:
            assert loaded.callback_url == second.url
            loaded.sign(ids[1])
            assert loaded.wait_settled(WAIT)
        assert received(first) + received(second) == expected
        assert [p["event"]["event_type"] for p, _ in received(second)] == [
            "signature_request_viewed",
            "signature_request_signed",
            "signature_request_all_signed",
            "signature_request_downloadable",
        ]


def test_a_state_loaded_before_the_emulator_starts_resumes_when_it_starts(tmp_path):
    with Emulator(**SETTINGS, name="saved") as saved:
        request = create(saved)  # still processing: its timer pending
        path = saved.save_state(tmp_path / "state.json")
    loaded = Emulator(**SETTINGS, name="loaded", state=path, start=False)
    assert loaded.next_deadline() == saved.clock.now() + 5
    with loaded:
        play(loaded, 10)
        (sent,) = loaded.emitted()
    assert (sent.event_type, sent.signature_request_id) == (
        "signature_request_sent",
        request["signature_request_id"],
    )


def test_the_request_log_and_ids_go_on(tmp_path: Path) -> None:
    with Emulator(**SETTINGS, name="saved") as saved:
        create(saved)
        path = saved.save_state(tmp_path / "state.json")
    with Emulator(**SETTINGS, name="loaded", state=path) as loaded:
        requests.get(loaded.api_url + "/account", auth=(TEST_API_KEY, ""), timeout=WAIT)
        log = loaded.api_log()
    assert list(log.call_id) == [1, 2]
    assert list(log.path) == ["/v3/signature_request/create_embedded", "/v3/account"]


def test_a_given_key_is_never_written_and_is_needed_to_load(tmp_path: Path) -> None:
    with Emulator(**SETTINGS, name="saved") as saved:
        create(saved)
        path = saved.save_state(tmp_path / "state.json")
    text = path.read_text()
    assert TEST_API_KEY not in text and fingerprint(TEST_API_KEY) in text
    without = {k: v for k, v in SETTINGS.items() if k != "api_key"}
    with pytest.raises(StateFileError, match="give an api_key to load it") as refused:
        Emulator(**without, name="keyless", state=path, start=False)
    assert fingerprint(TEST_API_KEY) in str(refused.value)
    with Emulator(**without, api_key="another-made-up-key", name="other", state=path) as other:
        assert other.api_key == "another-made-up-key"
        answer = requests.get(other.api_url + "/account", auth=(other.api_key, ""), timeout=WAIT)
        assert answer.status_code == 200
        assert other.save_state(tmp_path / "again.json").read_text().count("another-made") == 0


def test_a_drawn_key_is_part_of_the_state(tmp_path: Path) -> None:
    settings = {k: v for k, v in SETTINGS.items() if k != "api_key"}
    with Emulator(**settings, name="drawn") as drawn:
        key = drawn.api_key
        path = drawn.save_state(tmp_path / "state.json")
    assert key in path.read_text()
    with Emulator(**{**settings, "seed": 99}, name="loaded", state=path) as loaded:
        assert loaded.api_key == key and loaded.seed == 7


@pytest.fixture
def busy_emulator() -> Any:
    """A manual-clock emulator with one request still processing (a timer pending)."""
    with Emulator(**SETTINGS, name="busy") as emulator:
        create(emulator)
        yield emulator


def snapshot(emulator: Emulator) -> tuple[Any, ...]:
    """What a failed load must not change."""
    backend = emulator.backend
    return (
        list(backend.requests),
        emulator.clock.now(),
        emulator.backend.clock.pending(),
        backend.random.get_state(),
        len(emulator.api_log()),
    )


BAD_FILES = {
    "truncated": (lambda good: good[: len(good) // 2], "not JSON"),
    "empty": (lambda good: b"", "not JSON"),
    "a PDF": (lambda good: document("one-signer.pdf"), "not JSON"),
    "another JSON": (lambda good: b'{"accounts": []}', 'no "format": "hsnb-emulator-state"'),
    "newer": (
        lambda good: good.replace(b'"version": 1', f'"version": {VERSION + 1}'.encode(), 1),
        "newer hsnb .* upgrade hsnb",
    ),
    "odd version": (lambda good: good.replace(b'"version": 1', b'"version": "1"', 1), "unknown"),
    "changed document": (lambda good: _change_a_blob(good), "does not match its SHA-256"),
    "damaged": (lambda good: good.replace(b'"signature_requests"', b'"requests_"', 1), "damaged"),
}


def _change_a_blob(good: bytes) -> bytes:
    document = json.loads(good)
    digest, text = next(iter(document["blobs"].items()))
    document["blobs"][digest] = ("A" if text[0] != "A" else "B") + text[1:]
    return json.dumps(document).encode()


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_file_is_refused_and_changes_nothing(busy_emulator, tmp_path, kind):
    with Emulator(**SETTINGS, name="source") as source:
        create(source)
        good = source.save_state(tmp_path / "good.json").read_bytes()
    spoil, message = BAD_FILES[kind]
    bad = tmp_path / "bad.json"
    bad.write_bytes(spoil(good))
    before = snapshot(busy_emulator)
    with pytest.raises(StateFileError, match=message):
        busy_emulator.load_state(bad)
    assert snapshot(busy_emulator) == before
    play(busy_emulator, 10)  # and it goes on: its request is processed
    assert [e.event_type for e in busy_emulator.emitted()] == ["signature_request_sent"]


def test_a_missing_file_and_a_constructor_with_a_bad_file_say_so(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="cannot read the state file"):
        Emulator(**SETTINGS, name="missing", state=tmp_path / "nowhere.json", start=False)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(StateFileError, match="not JSON"):
        Emulator(**SETTINGS, name="bad", state=tmp_path / "bad.json")
    assert isinstance(StateFileError("x"), EmulatorError)


def test_a_timer_set_outside_the_service_cannot_be_saved(busy_emulator, tmp_path):
    busy_emulator._call(busy_emulator.clock.call_later, 30, lambda: None)
    with pytest.raises(StateFileError, match="set outside the emulated service"):
        busy_emulator.save_state(tmp_path / "state.json")
    assert not (tmp_path / "state.json").exists()


def test_saving_waits_for_a_quiet_moment_and_gives_up_in_time(tmp_path: Path) -> None:
    with Emulator(**{**SETTINGS, "time_scale": "virtual"}, name="held") as emulator:
        with emulator.virtual_time.hold():
            with pytest.raises(StateFileError, match="not quiet within 0.2 s .*holds"):
                emulator.save_state(tmp_path / "state.json", timeout=0.2)
        assert not (tmp_path / "state.json").exists()
        assert emulator.save_state(tmp_path / "state.json").exists()


def test_a_stopped_emulator_cannot_be_saved_and_a_failed_write_leaves_no_file(tmp_path):
    with Emulator(**SETTINGS, name="stopping") as emulator:
        with pytest.raises(StateFileError, match="cannot write the state file"):
            emulator.save_state(tmp_path / "no" / "such" / "folder.json")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(EmulatorError, match="not running"):
        emulator.save_state(tmp_path / "state.json")


def test_loading_into_a_running_emulator_drops_its_own_pending_work(busy_emulator, tmp_path):
    with Emulator(**SETTINGS, name="quiet") as quiet:
        path = quiet.save_state(tmp_path / "empty.json")
    busy_emulator.load_state(path)
    assert busy_emulator.backend.requests == {} and busy_emulator.next_deadline() is None
    play(busy_emulator, 60)
    assert busy_emulator.emitted() == []


def test_the_file_says_what_it_is(tmp_path: Path) -> None:
    with Emulator(**SETTINGS, name="saved") as saved:
        create(saved)
        path = saved.save_state(tmp_path / "state.json")
    document_ = json.loads(path.read_text())
    assert (document_["format"], document_["version"]) == (FORMAT, VERSION)
    assert document_["settings"]["processing_delay"] == "fixed:5"
    pdf = document("nda-two-signers.pdf")
    (request,) = document_["signature_requests"]
    assert request["uploads"][0]["data"]["size"] == len(pdf)  # read ahead, not yet processed
    assert len(document_["blobs"]) == 1  # the upload, once


class Command:
    """``python -m hsnb.emulator.command`` with ``options``; its stdout lines on a queue."""

    def __init__(self, *options: str) -> None:
        self.proc, self.lines = start_emulator(
            "--time-scale=0.000001", "--start-time=epoch", "--processing-delay=0", *options
        )
        head = [self.lines.get(timeout=WAIT).rstrip("\n") for _ in range(3)]
        self.api_url, self.api_key, self.client_id = (line.split(": ", 1)[1] for line in head)

    def stop(self) -> list[str]:
        """SIGINT; the lines printed after the first three."""
        self.proc.send_signal(signal.SIGINT)
        assert self.proc.wait(WAIT) == 0, self.proc.stderr.read()
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get_nowait().rstrip("\n"))
        return rest

    def kill(self) -> None:
        """Make sure the process is gone."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(WAIT)


def test_the_command_saves_on_stop_and_starts_from_the_saved_state(tmp_path, receiver):
    path = tmp_path / "cli-state.json"
    first = Command("--seed=3", f"--callback-url={receiver.url}", f"--save-state={path}")
    try:
        answer = requests.post(
            first.api_url + "/signature_request/create_embedded",
            auth=(first.api_key, ""),
            timeout=WAIT,
            **create_form(first.client_id),
        )
        request_id = answer.json()["signature_request"]["signature_request_id"]
        receiver.wait_for(1, timeout=WAIT)
        assert first.stop()[-1] == f"state saved: {path}"
    finally:
        first.kill()
    second = Command(f"--state={path}")
    try:
        assert (second.api_key, second.client_id) == (first.api_key, first.client_id)
        url = f"{second.api_url}/signature_request/{request_id}"
        found = requests.get(url, auth=(second.api_key, ""), timeout=WAIT)
        assert found.status_code == 200
        assert found.json()["signature_request"]["signatures"][0]["status_code"] == (
            "awaiting_signature"
        )
        second.stop()
    finally:
        second.kill()


def test_the_command_refuses_a_bad_state_file_with_its_reason(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "hsnb-emulator-state", "version": 99}')
    done = subprocess.run(
        [sys.executable, "-m", "hsnb.cli", "emulator", f"--state={bad}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"hsnb: {bad} was written by a newer hsnb")
    assert len(done.stderr.splitlines()) == 1  # one plain line, no traceback
