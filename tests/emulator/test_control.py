"""The control plane, the sign page, and the Emulator object's life cycle and determinism."""

from __future__ import annotations

import re
import socket

import pandas as pd
import pandas.testing as pdt
import pytest
import requests

from hsnb.emulator import DEFAULT_EPOCH, Emulator
from hsnb.errors import EmulatorError
from hsnb.frames import ATTEMPT_COLUMNS
from hsnb.testing import Receiver
from tests.emulator.helpers import FAST, create_form, document

SEND_BODY = {
    "file_urls": ["data:text/plain,hi"],
    "signers": [{"name": "A", "email_address": "a@example.com"}],
}

TIMEOUT = 10


def create(emulator, path="create_embedded", **fields):
    """A request with the NDA; ``fields`` are extra form fields."""
    form = create_form(emulator.client_id)
    form["data"].update(fields)
    response = requests.post(
        f"{emulator.api_url}/signature_request/{path}",
        auth=(emulator.api_key, ""),
        timeout=TIMEOUT,
        **form,
    )
    assert response.status_code == 200, response.text
    emulator.wait_idle(TIMEOUT)  # processing (zero-delay or due) has ended
    return response.json()["signature_request"]


def plane(emulator, method, path, **kwargs):
    return requests.request(
        method, f"{emulator.base_url}/_emulator/{path}", timeout=TIMEOUT, **kwargs
    )


def open_page(url):
    page = requests.get(url, timeout=TIMEOUT)
    session = page.text.split('name="session" value="')[1].split('"')[0] if page.ok else None
    return page, session


def press(emulator, session, action, reason=""):
    data = {"session": session, "action": action, "reason": reason}
    return requests.post(f"{emulator.base_url}/editor/embeddedSign", data=data, timeout=TIMEOUT)


def sign_url(emulator, signature_id):
    response = requests.get(
        f"{emulator.api_url}/embedded/sign_url/{signature_id}",
        auth=(emulator.api_key, ""),
        timeout=TIMEOUT,
    )
    return response.json()["embedded"]["sign_url"]


# -- control plane -----------------------------------------------------------------------------


def test_index_summarises_the_emulator(emulator):
    body = plane(emulator, "GET", "").json()
    assert body["api_url"] == emulator.api_url
    assert body["client_id"] == emulator.client_id
    assert body["now"] == DEFAULT_EPOCH


def test_sign_through_the_control_plane(emulator):
    sr = create(emulator)
    signature_id = sr["signatures"][0]["signature_id"]
    body = plane(emulator, "POST", f"signatures/{signature_id}/sign").json()
    assert body["signature_request"]["signatures"][0]["status_code"] == "signed"
    assert body["emulator"]["state"] == "awaiting_signature"


def test_decline_through_the_control_plane_with_reason(emulator):
    sr = create(emulator, allow_decline="1")
    signature_id = sr["signatures"][1]["signature_id"]
    body = plane(
        emulator, "POST", f"signatures/{signature_id}/decline", json={"reason": "No"}
    ).json()
    assert body["signature_request"]["is_declined"] is True
    assert emulator.emitted()[-1].event_message == "No"


def test_control_plane_errors_use_the_error_shape(emulator):
    response = plane(emulator, "POST", f"signatures/{'0' * 32}/view")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "error_msg": "Signature not found.",
        "error_name": "not_found",
    }


def test_state_lists_requests_with_their_state(emulator):
    create(emulator)
    (item,) = plane(emulator, "GET", "state").json()["signature_requests"]
    assert item["emulator"] == {"state": "awaiting_signature", "files_busy": False}


def test_reset_forgets_requests_and_repeats_ids(emulator):
    first = create(emulator)["signature_request_id"]
    assert plane(emulator, "POST", "reset").json() == {"reset": True, "seed": 0}
    assert plane(emulator, "GET", "state").json()["signature_requests"] == []
    assert create(emulator)["signature_request_id"] == first


def test_reset_with_another_seed_gives_other_ids(emulator):
    first = create(emulator)["signature_request_id"]
    plane(emulator, "POST", "reset", json={"seed": 99})
    assert create(emulator)["signature_request_id"] != first


def test_seed_reseeds_only_the_random_source(emulator):
    create(emulator)
    plane(emulator, "POST", "seed", json={"seed": 5})
    assert plane(emulator, "GET", "").json()["seed"] == 5
    assert len(plane(emulator, "GET", "state").json()["signature_requests"]) == 1


def test_advance_fires_processing(manual_emulator):
    sr = create(manual_emulator)
    body = plane(manual_emulator, "POST", "advance", json={"seconds": 5}).json()
    assert body == {"now": DEFAULT_EPOCH + 5, "timers_fired": 1}
    assert [e.event_type for e in manual_emulator.emitted()] == ["signature_request_sent"]
    assert manual_emulator.emitted()[0].signature_request_id == sr["signature_request_id"]


def test_faults_can_be_listed_added_and_cleared(emulator):
    added = plane(
        emulator, "POST", "faults", json={"target": "api", "action": "unknown", "count": 2}
    )
    assert added.status_code == 201
    assert plane(emulator, "GET", "faults").json()["faults"][0]["count"] == 2
    plane(emulator, "DELETE", "faults")
    assert plane(emulator, "GET", "faults").json()["faults"] == []


def test_unknown_fault_is_a_bad_request(emulator):
    response = plane(emulator, "POST", "faults", json={"target": "api", "action": "explode"})
    assert response.status_code == 400
    assert response.json()["error"]["error_path"] == "action"


def test_callback_test_and_delivery_log(emulator, receiver):
    emulator.callback_url = receiver.url
    body = plane(emulator, "POST", "callback_test").json()
    assert body["url"] == receiver.url
    receiver.wait_for(1)
    assert emulator.wait_settled(5)
    log = plane(emulator, "GET", "deliveries").json()
    assert [a["outcome"] for a in log["attempts"]] == ["acknowledged"]
    assert log["attempts"][0]["event_type"] == "callback_test"


def test_events_log(emulator):
    create(emulator)
    events = plane(emulator, "GET", "events").json()["events"]
    assert [e["event_type"] for e in events] == ["signature_request_sent"]


def test_callback_test_without_a_url(emulator):
    emulator.callback_url = None
    response = plane(emulator, "POST", "callback_test")
    assert response.json()["error"]["error_msg"] == "No callback URL is set for the account."


# -- the sign page -----------------------------------------------------------------------------


def test_sign_page_shows_the_document_and_a_sign_button(emulator):
    sr = create(emulator)
    page, session = open_page(sign_url(emulator, sr["signatures"][0]["signature_id"]))
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'value="sign"' in page.text and 'value="decline"' not in page.text
    assert "Mutual Non-Disclosure Agreement" in page.text or "NDA" in page.text
    document = requests.get(
        f"{emulator.base_url}/_emulator/sessions/{session}/document.pdf", timeout=TIMEOUT
    )
    assert document.content.startswith(b"%PDF")


def test_sign_page_offers_decline_when_allowed(emulator):
    sr = create(emulator, allow_decline="true")
    page, session = open_page(sign_url(emulator, sr["signatures"][0]["signature_id"]))
    assert 'value="decline"' in page.text
    done = press(emulator, session, "decline", "Not today")
    assert "Declined" in done.text
    assert emulator.emitted()[-1].event_type == "signature_request_declined"
    assert emulator.emitted()[-1].event_message == "Not today"


def test_sign_page_opens_once(emulator):
    sr = create(emulator)
    url = sign_url(emulator, sr["signatures"][0]["signature_id"])
    open_page(url)
    again, _ = open_page(url)
    assert again.status_code == 410
    assert "already been used" in again.text


def test_sign_page_button_works_once(emulator):
    sr = create(emulator)
    _, session = open_page(sign_url(emulator, sr["signatures"][0]["signature_id"]))
    assert press(emulator, session, "sign").status_code == 200
    second = press(emulator, session, "sign")
    assert second.status_code == 410 and "session has ended" in second.text


def test_inbox_link_for_a_sent_request(emulator):
    sr = create(emulator, path="send")
    details = requests.get(sr["details_url"], timeout=TIMEOUT)
    assert "open as this signer" in details.text
    page, session = open_page(
        f"{emulator.base_url}/_emulator/sign/{sr['signatures'][0]['signature_id']}"
    )
    assert press(emulator, session, "sign").status_code == 200
    assert emulator.emitted()[-1].event_type == "signature_request_signed"


def test_paths_outside_the_api_are_not_found(emulator):
    response = requests.get(f"{emulator.base_url}/elsewhere", timeout=TIMEOUT)
    assert response.status_code == 404
    assert response.json()["error"]["error_name"] == "not_found"


# -- the Emulator object -----------------------------------------------------------------------


def test_stop_frees_the_port():
    emulator = Emulator(**FAST)
    port = emulator.port
    emulator.stop()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_same_name_stops_the_previous_one():
    first = Emulator(**FAST)
    second = Emulator(**FAST)
    try:
        assert not first.running and second.running
    finally:
        second.stop()


def test_repr_shows_no_port():
    with Emulator(**FAST) as emulator:
        assert repr(emulator) == "<Emulator 'tests' running seed=0>"


def test_same_seed_same_ids_and_event_times():
    runs = []
    for _ in range(2):
        with Emulator(**{**FAST, "processing_delay": "uniform:1,9"}) as emulator:
            sr = create(emulator)
            emulator.sign(sr["signatures"][0]["signature_id"])
            events = [
                (e.event_type, e.event_time, e.related_signature_id) for e in emulator.emitted()
            ]
            runs.append((emulator.api_key, emulator.client_id, sr["signature_request_id"], events))
    assert runs[0] == runs[1]
    assert runs[0][3][0][1] > DEFAULT_EPOCH


def test_api_key_and_callback_url_from_the_constructor(receiver):
    with Emulator(**FAST, api_key="my-key", callback_url=receiver.url) as emulator:
        assert emulator.api_key == "my-key"
        create(emulator)
        receiver.wait_for(1)


def test_deliveries_frame_has_the_declared_schema_before_and_after_callbacks(emulator, receiver):
    declared = pd.Series({n: pd.api.types.pandas_dtype(t) for n, t in ATTEMPT_COLUMNS.items()})
    empty = emulator.deliveries()
    assert empty.empty
    pdt.assert_series_equal(empty.dtypes, declared)
    emulator.callback_url = receiver.url
    create(emulator)
    assert emulator.wait_settled(5)
    frame = emulator.deliveries()
    pdt.assert_series_equal(frame.dtypes, declared)
    row = frame.iloc[0]
    assert (row["outcome"], row["status"], row["attempt"]) == ("acknowledged", 200, 1)
    assert row["event_type"] == "signature_request_sent"


@pytest.mark.parametrize("path", ["/_emulator/advance", "/_emulator/faults"])
def test_infinite_seconds_are_refused_and_the_clock_keeps_working(emulator, path):
    body = {"seconds": "inf", "target": "api", "action": "delay"}
    answer = requests.post(f"{emulator.base_url}{path}", json=body)
    assert answer.status_code == 400
    assert "finite" in answer.json()["error"]["error_msg"]
    sent = requests.post(
        f"{emulator.api_url}/signature_request/send", auth=(emulator.api_key, ""), json=SEND_BODY
    )
    assert sent.status_code == 200


def test_a_person_acting_before_start_is_told_so_and_callbacks_still_flow_after():
    receiver = Receiver()
    emulator = Emulator(
        **{**FAST, "name": "review-lane", "callback_url": receiver.url}, start=False
    )
    try:
        with pytest.raises(EmulatorError, match="not running"):
            emulator.callback_test()
        emulator.start()
        requests.post(
            f"{emulator.api_url}/signature_request/send",
            auth=(emulator.api_key, ""),
            json=SEND_BODY,
        )
        assert emulator.wait_settled(5), f"never settled; the receiver got {receiver.types()}"
        assert "signature_request_sent" in receiver.types()
    finally:
        emulator.stop()
        receiver.stop()


def test_the_sign_page_document_is_gone_after_cancel(emulator):
    session = requests.Session()
    session.auth = (emulator.api_key, "")
    body = {
        "client_id": emulator.client_id,
        "use_text_tags": "1",
        "signers[0][name]": "A",
        "signers[0][email_address]": "a@example.com",
        "signers[1][name]": "B",
        "signers[1][email_address]": "b@example.com",
    }
    files = {"files[0]": ("nda.pdf", document("nda-two-signers.pdf"), "application/pdf")}
    created = session.post(
        f"{emulator.api_url}/signature_request/create_embedded", data=body, files=files
    ).json()["signature_request"]
    emulator.wait_idle(5)
    signature_id = created["signatures"][0]["signature_id"]
    url = session.get(f"{emulator.api_url}/embedded/sign_url/{signature_id}").json()["embedded"][
        "sign_url"
    ]
    page_session = re.search(r"/_emulator/sessions/([0-9a-f]+)/", requests.get(url).text).group(1)
    request_id = created["signature_request_id"]
    assert (
        session.post(f"{emulator.api_url}/signature_request/cancel/{request_id}").status_code == 200
    )
    document_url = f"{emulator.base_url}/_emulator/sessions/{page_session}/document.pdf"
    assert requests.get(document_url).status_code == 410
