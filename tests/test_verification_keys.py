"""Verification said plainly: an empty key is an error, the store says which key matched (never
the key itself), ``--tolerance`` gives the command line a freshness window, and a key given to
the emulator is not printed back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from hsnb.errors import ConfigError
from hsnb.events import ACK_TEXT
from hsnb.listener import Listener
from hsnb.records import key_fingerprint
from hsnb.store import EventStore
from tests.conftest import KEY, post_multipart, sent_payload
from tests.processes import read_line

WAIT = 30.0
OTHER_KEY = "a-second-key-during-rotation"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DROPBOX_SIGN", "HSNB_"))}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def hsnb_emulator(*options: str) -> subprocess.Popen[str]:
    """``hsnb emulator OPTIONS`` without the caller's Dropbox Sign and hsnb variables."""
    return subprocess.Popen(
        [sys.executable, "-m", "hsnb.cli", "emulator", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )


def read_first_line(process: subprocess.Popen[str]) -> str:
    return read_line(process, WAIT)


def test_an_empty_key_variable_stops_hsnb_listen_instead_of_verifying_nothing(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hsnb.cli", "listen", "--store", str(tmp_path / "e.sqlite")],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(DROPBOX_SIGN_API_KEY=""),
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "hsnb: DROPBOX_SIGN_API_KEY is set but empty: set it to your API key, or unset it"
    )


@pytest.mark.parametrize("keys", ["", "  ", ["a-key", ""]], ids=["empty", "blank", "one-empty"])
def test_an_empty_key_given_to_a_listener_is_an_error(keys) -> None:
    with pytest.raises(ConfigError, match="an API key to verify with is empty"):
        Listener(api_keys=keys, start=False)


def test_no_key_at_all_still_means_no_verification_and_says_so(tmp_path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hsnb.cli", "listen", "--store", str(tmp_path / "e.sqlite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        assert read_first_line(process).startswith("listening on ")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=WAIT)
    assert "no API key, so event_hash is not verified" in err


def test_the_store_records_which_key_matched_and_never_a_key(tmp_path) -> None:
    path = tmp_path / "events.sqlite"
    with Listener(path, api_keys=[KEY, OTHER_KEY], name="test-keys") as listener:
        post_multipart(listener.url, sent_payload("a" * 40, key=KEY))
        post_multipart(listener.url, sent_payload("b" * 40, key=OTHER_KEY))
        frame = listener.deliveries()
    assert frame["verified_by"].tolist() == [key_fingerprint(KEY), key_fingerprint(OTHER_KEY)]
    everything = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert KEY.encode() not in everything and OTHER_KEY.encode() not in everything


def test_an_unverified_delivery_names_no_key() -> None:
    with Listener(api_keys=[], name="test-keys") as listener:
        post_multipart(listener.url, sent_payload())
        assert listener.deliveries()["verified_by"].isna().all()


def test_hsnb_listen_tolerance_refuses_stale_events(tmp_path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hsnb.cli", "listen", "--store", str(tmp_path / "e.sqlite")]
        + ["--api-key", KEY, "--tolerance", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        url = read_first_line(process).split()[-1]
        stale = post_multipart(url, sent_payload("a" * 40, event_time=int(time.time()) - 3600))
        fresh = post_multipart(url, sent_payload("b" * 40, event_time=int(time.time())))
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=WAIT)
    assert stale.status_code == 403 and "outside the 300 s window" in stale.text
    assert fresh.text == ACK_TEXT
    assert [
        s.event.signature_request_id for s in EventStore(tmp_path / "e.sqlite").stored_events()
    ] == ["b" * 40]


def test_hsnb_emulator_does_not_print_a_key_it_was_given() -> None:
    given = "k" * 64
    process = hsnb_emulator("--api-key", given)
    try:
        lines = [read_first_line(process) for _ in range(3)]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=WAIT)
    assert lines[1] == "api_key: (given with --api-key, not shown)"
    assert given not in "".join(lines) + out + err


def test_a_key_the_emulator_made_up_is_still_printed() -> None:
    process = hsnb_emulator("--seed", "4")
    try:
        lines = [read_first_line(process) for _ in range(2)]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=WAIT)
    assert lines[1].startswith("api_key: ") and len(lines[1].split()[1]) == 64
