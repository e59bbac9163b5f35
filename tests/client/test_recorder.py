"""Recording sessions as redacted JSON lines, and replaying recordings against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hsnb.client import Client, NotFound
from hsnb.emulator import Emulator
from hsnb.errors import ReplayError
from hsnb.recorder import RECORDED_DIR, Recorder, Redactor, load
from hsnb.replay import compare_shapes, replay, shape
from tests.client.conftest import FAST, WAIT, completed, create

RECORDINGS = sorted(RECORDED_DIR.glob("*.jsonl"))


@pytest.fixture
def replay_emulator():
    """A fresh fast emulator with another seed than the recordings (so ids differ)."""
    with Emulator(**{**FAST, "name": "replay-target", "seed": 99, "api_key": None}) as running:
        yield running


def record(tmp_path: Path, client: Client, listener, session) -> Path:
    path = tmp_path / "session.jsonl"
    with Recorder(path, source="emulator", note="test") as recorder:
        recorder.attach(client).attach_listener(listener)
        session()
    return path


def rewrite(path: Path, change) -> Path:
    """Apply ``change(line)`` to every line after the header."""
    header, lines = load(path)
    for line in lines:
        change(line)
    path.write_text("\n".join(json.dumps(x) for x in [header, *lines]) + "\n")
    return path


# -- recording ---------------------------------------------------------------------------------


def test_a_bare_name_goes_to_data_recorded():
    assert Recorder("my-session").path == RECORDED_DIR / "my-session.jsonl"


def test_recording_format(tmp_path, client, listener, emulator):
    path = record(tmp_path, client, listener, lambda: completed(client, listener, emulator))
    header, lines = load(path)
    assert header == {
        "kind": "session",
        "format": 1,
        "source": "emulator",
        "note": "test",
        "client_id": emulator.client_id,
    }
    create_line = next(x for x in lines if x.get("path") == "/signature_request/create_embedded")
    assert create_line["method"] == "POST" and create_line["status"] == 200
    assert create_line["files"][0]["name"] == "nda-two-signers.pdf"
    assert len(create_line["files"][0]["sha256"]) == 64
    assert json.loads(create_line["form"]["signers"])[0]["name"] == "Jack Doe"
    assert create_line["headers"]["Content-Type"] == "application/json"
    callbacks = [x["event_type"] for x in lines if x["kind"] == "callback"]
    assert callbacks[0] == "signature_request_sent"
    assert callbacks[-1] == "signature_request_downloadable"
    assert [x["seq"] for x in lines] == list(range(1, len(lines) + 1))


def test_binary_answers_are_recorded_by_type_and_size(tmp_path, client, listener, emulator):
    sr = completed(client, listener, emulator)
    path = record(tmp_path, client, listener, lambda: client.files(sr.signature_request_id))
    (line,) = load(path)[1]
    assert line["response"]["binary"]["content_type"] == "application/pdf"
    assert line["response"]["binary"]["size"] > 1000


def test_redactor_keeps_example_addresses_and_maps_others_stably():
    redact = Redactor(["s3cret"])
    text = redact("a@corp.test b@example.com A@corp.test c@other.test s3cret")
    assert text == (
        "person1@example.com b@example.com person1@example.com person2@example.com <redacted>"
    )


# -- shapes ------------------------------------------------------------------------------------


def test_shape_of_json():
    value = {"a": 1, "b": [{"c": "x"}, {"c": None, "d": True}], "e": None, "f": 1.5}
    assert shape(value) == {
        "a": "number",
        "b": [{"c": "str", "d": "bool"}],
        "e": "null",
        "f": "number",
    }


def test_compare_shapes_reports_missing_extra_and_mistyped_keys():
    recorded = shape({"a": 1, "b": "x", "c": [{"d": 1}], "n": None})
    replayed = shape({"a": "1", "c": [{"d": 2, "e": 3}], "z": 0, "n": 5})
    assert sorted(compare_shapes(recorded, replayed)) == [
        ".a: number recorded, str from the emulator",
        ".b: missing in the emulator",
        ".c[].e: not in the recording",
        ".z: not in the recording",
    ]


def test_empty_lists_match_any_list():
    assert compare_shapes(shape({"a": []}), shape({"a": [{"x": 1}]})) == []


# -- replay ------------------------------------------------------------------------------------


@pytest.mark.parametrize("recording", RECORDINGS, ids=[p.stem for p in RECORDINGS])
def test_every_shipped_recording_replays_without_differences(recording, replay_emulator):
    report = replay(recording, replay_emulator, timeout=WAIT)
    assert report.ok, report.explain()
    assert report.steps > 10


def test_the_shipped_sample_says_it_was_made_against_the_emulator():
    header, _ = load(RECORDED_DIR / "emulator-walkthrough.jsonl")
    assert header["source"] == "emulator"
    assert "not the real Dropbox Sign API" in header["note"]


def test_replay_restores_the_emulators_callback_urls(replay_emulator):
    replay_emulator.callback_url = "https://example.com/before"
    replay(RECORDED_DIR / "emulator-walkthrough.jsonl", replay_emulator, timeout=WAIT)
    assert replay_emulator.callback_url == "https://example.com/before"


@pytest.fixture
def recording(tmp_path, client, listener, emulator):
    """A small recorded session: a completed request, its files and a 404."""

    def session():
        sr = completed(client, listener, emulator)
        client.files(sr.signature_request_id)
        with pytest.raises(NotFound):
            client.get("0" * 40)

    return record(tmp_path, client, listener, session)


def test_replay_reports_a_different_status(recording, replay_emulator):
    def change(line):
        if line.get("path", "").startswith("/signature_request/files/"):
            line["status"] = 409

    report = replay(rewrite(recording, change), replay_emulator, timeout=WAIT)
    assert [d.what for d in report.differences] == ["status 409 recorded, 200"]


def test_replay_reports_a_key_the_emulator_lacks(recording, replay_emulator):
    def change(line):
        if line.get("method") == "POST":
            line["response"]["signature_request"]["new_field"] = "x"

    report = replay(rewrite(recording, change), replay_emulator, timeout=WAIT)
    assert [d.what for d in report.differences] == [
        ".signature_request.new_field: missing in the emulator"
    ]
    assert "POST /signature_request/create_embedded" in report.explain()


def test_replay_reports_a_different_error_name(recording, replay_emulator):
    def change(line):
        if line.get("status") == 404:
            line["response"]["error"]["error_name"] = "deleted"

    report = replay(rewrite(recording, change), replay_emulator, timeout=WAIT)
    assert [d.what for d in report.differences] == ["error_name 'deleted' recorded, 'not_found'"]


def test_replay_reports_a_callback_that_never_came(recording, replay_emulator):
    def change(line):
        if line.get("event_type") == "signature_request_all_signed":
            line["event_type"] = "signature_request_expired"
            line["payload"]["event"]["event_type"] = "signature_request_expired"

    report = replay(rewrite(recording, change), replay_emulator, timeout=0.3)
    assert [d.what for d in report.differences] == ["not received within 0.3 s"]


def test_replay_reports_a_callback_payload_difference(recording, replay_emulator):
    def change(line):
        if line.get("event_type") == "signature_request_sent":
            line["payload"]["event"]["event_id"] = "abc"

    report = replay(rewrite(recording, change), replay_emulator, timeout=WAIT)
    assert [(d.step, d.what) for d in report.differences] == [
        ("callback signature_request_sent", ".event.event_id: missing in the emulator")
    ]


def test_replay_needs_the_uploaded_files(recording, replay_emulator, tmp_path):
    empty = tmp_path / "no-documents"
    empty.mkdir()
    with pytest.raises(ReplayError, match="nda-two-signers.pdf"):
        replay(recording, replay_emulator, files_dirs=[empty])


def test_polls_answered_409_collapse_into_their_last_attempt(
    tmp_path, make_emulator, listener, replay_emulator
):
    slow = make_emulator(name="slow", time_scale=1.0, processing_delay=0.3)
    with Client(base_url=slow.api_url) as client:

        def session():
            sr = create(client)
            client.files(sr.signature_request_id, wait=True, timeout=WAIT)

        path = record(tmp_path, client, listener, session)
    statuses = [x["status"] for x in load(path)[1] if x["kind"] == "request"]
    assert statuses[1] == 409 and statuses[-1] == 200
    report = replay(path, replay_emulator, timeout=WAIT)
    assert report.ok, report.explain()


def test_a_file_that_is_not_a_recording_is_refused(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"kind": "request"}\n')
    with pytest.raises(ReplayError, match="does not start with a session line"):
        load(path)


def test_nothing_is_written_after_close(tmp_path, client, listener):
    path = tmp_path / "closed.jsonl"
    recorder = Recorder(path).attach(client).attach_listener(listener)
    client.get_account()
    recorder.close()
    client.get_account()
    create(client)
    assert len(load(path)[1]) == 1
