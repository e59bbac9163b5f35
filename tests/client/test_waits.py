"""Waiting out 429 (after the reset time) and 409 (files being prepared), bounded."""

from __future__ import annotations

import itertools
import time

import pytest

from hsnb.client import Client, Conflict, ExceededRate, FilesNotReady
from hsnb.client.waits import poll_delays, rate_limit_delay
from tests.client.conftest import WAIT, completed, create

# -- 429 ----------------------------------------------------------------------------------------


def test_rate_limit_delay_waits_until_the_reset_plus_a_margin():
    assert rate_limit_delay({"X-Ratelimit-Reset": "1005"}, now=1000.0) == 6.0


def test_rate_limit_delay_prefers_retry_after():
    assert rate_limit_delay({"Retry-After": "3", "X-Ratelimit-Reset": "2000"}, now=1000.0) == 3.0


def test_rate_limit_delay_with_a_reset_in_the_past_is_the_margin():
    assert rate_limit_delay({"X-Ratelimit-Reset": "900"}, now=1000.0) == 1.0


def test_rate_limit_delay_without_headers_is_the_margin():
    assert rate_limit_delay({}, now=1000.0, margin=0.5) == 0.5


def test_429_is_retried_after_the_reset_when_allowed(make_emulator):
    emulator = make_emulator(rate_limit=1, start_time=None, time_scale=1.0)
    emulator.limiter.window = 0.5  # a short window keeps the test fast
    statuses = []
    with Client(base_url=emulator.api_url, rate_limit_retries=2) as client:
        client.add_observer(lambda exchange: statuses.append(exchange.response.status_code))
        client.get_account()
        started = time.monotonic()
        account = client.get_account()
    assert account.account_id == emulator.account_id
    assert statuses == [200, 429, 200]
    assert time.monotonic() - started >= 0.5


def test_429_is_not_retried_by_default(make_emulator):
    emulator = make_emulator(rate_limit=1)
    with Client(base_url=emulator.api_url) as client:
        client.get_account()
        with pytest.raises(ExceededRate):
            client.get_account()


def test_429_is_not_waited_for_longer_than_allowed(make_emulator):
    emulator = make_emulator(rate_limit=1)
    slept = []
    with Client(
        base_url=emulator.api_url, rate_limit_retries=3, max_rate_limit_wait=0.01
    ) as client:
        client._sleep = slept.append
        client.get_account()
        with pytest.raises(ExceededRate):
            client.get_account()
    assert slept == []


def test_429_retries_are_bounded(make_emulator):
    emulator = make_emulator(rate_limit=1)
    slept = []
    with Client(base_url=emulator.api_url, rate_limit_retries=2) as client:
        client._sleep = slept.append
        client.get_account()
        with pytest.raises(ExceededRate):
            client.get_account()
    assert len(slept) == 2


# -- 409 ----------------------------------------------------------------------------------------


def test_poll_delays_back_off_to_a_cap():
    assert list(itertools.islice(poll_delays(0.25, 1.0), 5)) == [0.25, 0.5, 1.0, 1.0, 1.0]


def test_files_while_processing_is_a_conflict(make_emulator):
    emulator = make_emulator(time_scale=None, processing_delay=5)
    with Client(base_url=emulator.api_url) as client:
        sr = create(client)
        with pytest.raises(Conflict) as caught:
            client.files(sr.signature_request_id)
    assert caught.value.error_msg == "The files are being prepared. Please try again later."


def test_files_wait_polls_409_until_ready(make_emulator):
    emulator = make_emulator(time_scale=1.0, processing_delay=0.4)
    statuses = []
    with Client(base_url=emulator.api_url) as client:
        sr = create(client)
        client.add_observer(lambda exchange: statuses.append(exchange.response.status_code))
        data = client.files(sr.signature_request_id, wait=True, timeout=WAIT)
    assert data.startswith(b"%PDF")
    assert statuses[0] == 409 and statuses[-1] == 200


def test_wait_for_files_after_signing(make_emulator, listener):
    emulator = make_emulator(time_scale=1.0, file_prep_delay=0.3)
    with Client(base_url=emulator.api_url) as client:
        sr = create(client)
        listener.wait_for(
            "signature_request_sent", signature_request_id=sr.signature_request_id, timeout=WAIT
        )
        for signature_id in sr.signature_ids:
            emulator.sign(signature_id)
        assert client.wait_for_files(sr.signature_request_id, timeout=WAIT).startswith(b"%PDF")


def test_data_uri_and_file_url_wait_too(make_emulator):
    emulator = make_emulator(time_scale=1.0, processing_delay=0.3)
    with Client(base_url=emulator.api_url) as client:
        sr = create(client)
        uri = client.files_as_data_uri(sr.signature_request_id, wait=True, timeout=WAIT)
        link = client.file_url(sr.signature_request_id, wait=True, timeout=WAIT)
    assert uri.startswith("data:application/pdf;base64,") and link.file_url


def test_files_wait_is_bounded(make_emulator):
    emulator = make_emulator(time_scale=None, processing_delay=5)
    with Client(base_url=emulator.api_url) as client:
        sr = create(client)
        started = time.monotonic()
        with pytest.raises(FilesNotReady) as caught:
            client.files(sr.signature_request_id, wait=True, timeout=0.3)
    assert time.monotonic() - started < 2
    error = caught.value
    assert isinstance(error, Conflict) and isinstance(error, TimeoutError)
    assert (error.status, error.error_name) == (409, "conflict")
    assert "still not ready after 0.3 s" in str(error)
    assert "signature_request_downloadable" in str(error)


def test_waiting_for_downloadable_needs_no_polling(client, listener, emulator, exchanges):
    sr = completed(client, listener, emulator)
    client.files(sr.signature_request_id)
    files_calls = [e for e in exchanges if e.path.startswith("/signature_request/files/")]
    assert [e.response.status_code for e in files_calls] == [200]
