"""Which clock a listener stamps a callback with: the emulator's when it is signed in, else wall.

The emulator signs its clock into every attempt (``X-Hsnb-Emulated-Time``, HMAC with the
account's API key). A listener that verifies with that key stores ``received_at`` on the
emulator's clock and the wall-clock arrival in ``received_wall_at``; anything it cannot verify
(another key, a tampered or malformed header, no key at all) keeps wall time. Real listeners,
real HTTP, real emulator.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pandas as pd
import pytest
import requests

from hsnb.analysis import read_log
from hsnb.clock_header import CLOCK_HEADER, clock_header
from hsnb.emulator import Emulator
from hsnb.listener import Listener
from hsnb.payloads import encode_callback_multipart
from tests.conftest import KEY, sent_payload
from tests.emulator.helpers import FAST, create_form
from tests.test_cli import ListenProcess

#: 2026-01-05 09:00 UTC, far from the wall clock of any test run.
EMULATED = datetime(2026, 1, 5, 9, tzinfo=UTC).timestamp()


def post(listener: Listener, clock: str | None, request_id: str = "a" * 40) -> None:
    body, content_type = encode_callback_multipart(sent_payload(request_id))
    headers = {"Content-Type": content_type}
    if clock is not None:
        headers[CLOCK_HEADER] = clock
    answer = requests.post(listener.url, data=body, headers=headers, timeout=10)
    assert answer.status_code == 200


def create(emulator: Emulator) -> None:
    """A two-signer embedded request, over HTTP."""
    answer = requests.post(
        f"{emulator.api_url}/signature_request/create_embedded",
        auth=(emulator.api_key, ""),
        timeout=10,
        **create_form(emulator.client_id),
    )
    assert answer.status_code == 200, answer.text


def only_delivery(listener: Listener) -> pd.Series:
    deliveries = listener.deliveries()
    assert len(deliveries) == 1
    return deliveries.iloc[0]


def test_a_signed_virtual_clock_is_the_receive_time_and_the_wall_time_is_kept(
    listener: Listener,
) -> None:
    before = pd.Timestamp.now(tz="UTC")
    post(listener, clock_header(KEY, EMULATED, "virtual", time.time()))
    row = only_delivery(listener)
    assert row["received_at"] == pd.Timestamp(EMULATED, unit="s", tz="UTC")
    assert row["received_clock"] == "emulated"
    assert before <= row["received_wall_at"] <= pd.Timestamp.now(tz="UTC")
    event = listener.events().iloc[0]
    assert event["received_at"] == row["received_at"]
    assert event["received_clock"] == "emulated"
    assert event["received_wall_at"] == row["received_wall_at"]


def test_a_scaled_clock_adds_the_time_on_the_wire_at_its_scale(listener: Listener) -> None:
    # Sent 2 wall seconds ago by an emulator at 0.01 wall seconds per emulated second:
    # 200 emulated seconds have passed since.
    sent_wall = time.time() - 2.0
    post(listener, clock_header(KEY, EMULATED, 0.01, sent_wall))
    row = only_delivery(listener)
    wall_on_wire = (row["received_wall_at"].timestamp() - sent_wall) / 0.01
    assert row["received_at"].timestamp() == pytest.approx(EMULATED + wall_on_wire, abs=1e-3)
    assert 200 <= row["received_at"].timestamp() - EMULATED < 260


@pytest.mark.parametrize(
    "clock",
    [
        pytest.param(clock_header("another key", EMULATED, "virtual", 0.0), id="another-key"),
        pytest.param(
            clock_header(KEY, EMULATED, "virtual", 0.0).replace("t=1767", "t=1768"), id="tampered"
        ),
        pytest.param("t=1767603600;scale=virtual;wall=0", id="unsigned"),
        pytest.param("rubbish", id="malformed"),
        pytest.param(clock_header(KEY, 1e12, "virtual", 0.0), id="beyond-any-date"),
        pytest.param(clock_header(KEY, float("nan"), "virtual", 0.0), id="not-a-number"),
    ],
)
def test_a_clock_it_cannot_verify_leaves_wall_time(listener: Listener, clock: str) -> None:
    before = pd.Timestamp.now(tz="UTC")
    post(listener, clock)
    row = only_delivery(listener)
    assert row["received_clock"] == "wall"
    assert before <= row["received_at"] <= pd.Timestamp.now(tz="UTC")
    assert row["received_wall_at"] == row["received_at"]
    assert row["verdict"] == "accepted"  # the clock is a hint: the event is still taken


def test_a_listener_without_keys_trusts_no_clock() -> None:
    with Listener(name="no-keys") as listener:
        post(listener, clock_header(KEY, EMULATED, "virtual", time.time()))
        assert only_delivery(listener)["received_clock"] == "wall"


@pytest.mark.hsnb(time_scale="virtual")
def test_a_virtual_emulator_run_lands_on_its_own_clock(
    emulator: Emulator, listener: Listener
) -> None:
    """Every attempt that reached the listener is stamped with the moment it was sent: a
    lost first attempt shows as a ``sent`` received five emulated minutes after it happened."""
    emulator.inject_fault("callback", "drop", match="signature_request_sent")
    create(emulator)
    assert emulator.wait_settled(30)
    attempts = emulator.deliveries()
    assert attempts["outcome"].tolist() == ["dropped", "acknowledged"]
    attempts = attempts[attempts["outcome"] == "acknowledged"]
    listener.wait_for("signature_request_sent", timeout=30)
    deliveries = listener.deliveries()
    assert set(deliveries["received_clock"]) == {"emulated"}
    received = deliveries.set_index("emulator_attempt")["received_at"].sort_index()
    keys = attempts["delivery_id"].astype(str) + "." + attempts["attempt"].astype(str)
    sent = attempts.set_index(keys)["sent_at"].sort_index()
    assert received.index.tolist() == sent.index.tolist()
    assert received.tolist() == sent.tolist()
    event = listener.events().iloc[0]
    assert event["received_at"] - event["event_time"] == pd.Timedelta(minutes=5)
    # the emulated epoch is far in the past of the wall clock the rows also carry
    gap = deliveries["received_wall_at"] - deliveries["received_at"]
    assert gap.min() > pd.Timedelta(days=30)


def test_a_listener_in_another_process_is_on_the_emulators_clock_too(tmp_path) -> None:
    """``hsnb listen`` in a child process, the emulator here on virtual time: the clock travels
    in the signed header, so nothing is shared but the key."""
    store = tmp_path / "events.sqlite"
    child = ListenProcess(store, "--api-key", KEY)
    try:
        settings = {**FAST, "name": "two-processes", "time_scale": "virtual", "api_key": KEY}
        with Emulator(**settings, callback_url=child.url) as emulator:
            emulator.inject_fault("callback", "drop", match="signature_request_sent")
            create(emulator)
            assert emulator.wait_settled(30)
            sent = emulator.deliveries().query("outcome == 'acknowledged'")["sent_at"].tolist()
        code, _ = child.finish()
        assert code == 0
    finally:
        if child.process.poll() is None:
            child.process.kill()
    deliveries = read_log(store).deliveries
    assert set(deliveries["received_clock"]) == {"emulated"}
    assert deliveries["received_at"].tolist() == sent
    event = read_log(store).events.iloc[0]
    assert event["received_at"] - event["event_time"] == pd.Timedelta(minutes=5)
