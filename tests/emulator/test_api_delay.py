"""The ``api`` ``delay`` fault: a slow answer, so client timeouts can be tested over real HTTP."""

from __future__ import annotations

import logging
import time

import pytest
import requests

from hsnb.errors import BadRequest
from tests.emulator.helpers import create_form


def get_account(emulator, timeout=5.0):
    return requests.get(f"{emulator.api_url}/account", auth=(emulator.api_key, ""), timeout=timeout)


def test_delayed_answer_comes_late_then_the_next_call_is_fast(emulator):
    emulator.inject_fault("api", "delay", match="/account", seconds=1.0)
    started = time.monotonic()
    assert get_account(emulator).status_code == 200
    assert time.monotonic() - started >= 1.0
    started = time.monotonic()
    assert get_account(emulator).status_code == 200
    assert time.monotonic() - started < 0.8  # generous: CI machines are busy


def test_client_timeout_and_other_calls_are_answered_meanwhile(emulator):
    emulator.inject_fault("api", "delay", match="/account", seconds=2.0)
    with pytest.raises(requests.ReadTimeout):
        get_account(emulator, timeout=0.1)
    started = time.monotonic()
    other = requests.get(f"{emulator.api_url}/api_app/list", auth=(emulator.api_key, ""), timeout=5)
    assert other.status_code == 200 and time.monotonic() - started < 1.5  # the slow one: 2 s


def test_a_call_the_client_gave_up_on_still_takes_effect(emulator, caplog):
    caplog.set_level(logging.DEBUG)
    emulator.inject_fault("api", "delay", match="/signature_request/", seconds=0.3)
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            f"{emulator.api_url}/signature_request/create_embedded",
            auth=(emulator.api_key, ""),
            timeout=0.1,
            **create_form(emulator.client_id),
        )
    deadline = time.monotonic() + 5
    while not emulator.emitted() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [e.event_type for e in emulator.emitted()] == ["signature_request_sent"]
    time.sleep(0.05)
    assert [r for r in caplog.records if r.name.startswith(("tornado", "asyncio"))] == []


def test_delay_then_an_error_fault_that_also_matches(emulator):
    emulator.inject_fault("api", "delay", seconds=0.2)
    emulator.inject_fault("api", "maintenance")
    started = time.monotonic()
    response = get_account(emulator)
    assert time.monotonic() - started >= 0.2
    assert (response.status_code, response.json()["error"]["error_name"]) == (503, "maintenance")


def test_delay_fault_through_the_control_plane(emulator):
    body = {"target": "api", "action": "delay", "seconds": 0.2, "match": "/account"}
    added = requests.post(f"{emulator.base_url}/_emulator/faults", json=body, timeout=5)
    assert added.status_code == 201
    assert added.json()["fault"]["seconds"] == 0.2
    started = time.monotonic()
    get_account(emulator)
    assert time.monotonic() - started >= 0.2


def test_negative_delay_is_refused(emulator):
    with pytest.raises(BadRequest, match="seconds must not be negative"):
        emulator.inject_fault("api", "delay", seconds=-1)
