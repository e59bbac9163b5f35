"""The emulator's request log: every request and its answer kept, redacted, bounded; read from
Python (``Emulator.api_log()``), the control plane (``/_emulator/api_log``) and the command line
(``hsnb emulator --api-log``)."""

from __future__ import annotations

import base64
import hashlib
import json
import signal

import pandas as pd
import pytest
import requests

from hsnb.emulator import Emulator
from hsnb.emulator.service.api_log import (
    PLANES,
    REDACTED,
    ApiLog,
    RawCall,
    fingerprint,
    redact,
    scrub,
)
from hsnb.frames import API_LOG_COLUMNS, PLANE_DTYPE, api_log_frame
from tests.emulator.helpers import FAST, create_form, document
from tests.processes import emulator_process

#: A made-up key the tests send everywhere a client could put one; never to be found again.
LEAKY = "hsnb-leaky-key-" + "0123456789abcdef" * 3
WAIT = 15


def everything(frame: pd.DataFrame) -> str:
    """Every value of a frame as text."""
    return frame.astype("string").fillna("").to_csv(index=False)


def test_a_create_call_is_kept_with_its_fields_answer_and_caller(emulator):
    form = create_form(emulator.client_id)
    answer = requests.post(
        emulator.api_url + "/signature_request/create_embedded",
        auth=(emulator.api_key, ""),
        timeout=WAIT,
        **form,
    )
    request_id = answer.json()["signature_request"]["signature_request_id"]
    row = emulator.api_log().iloc[-1]
    assert (row.plane, row.method, row.path, row.status) == (
        "api",
        "POST",
        "/v3/signature_request/create_embedded",
        200,
    )
    assert pd.isna(row.error_name) and pd.isna(row.query)
    assert row.signature_request_id == request_id
    assert row.account_id == emulator.account_id
    assert (row.auth, row.key_fingerprint) == ("basic", fingerprint(emulator.api_key))
    assert row.received_at == pd.Timestamp(FAST["start_time"], unit="s", tz="UTC")
    assert 0 < row.duration < WAIT
    params = json.loads(row.params)
    assert params["signers[1][name]"] == "Jill" and params["title"] == "NDA"
    pdf = document("nda-two-signers.pdf")
    assert params["files[0]"] == {
        "filename": "nda-two-signers.pdf",
        "content_type": "application/pdf",
        "size": len(pdf),
        "sha256": hashlib.sha256(pdf).hexdigest(),
    }
    assert json.loads(row.response)["signature_request"]["signature_request_id"] == request_id


def test_error_answers_are_kept_with_their_error_name(emulator):
    auth = (emulator.api_key, "")
    requests.get(emulator.api_url + "/account", timeout=WAIT)
    requests.get(emulator.api_url + "/signature_request/" + "f" * 40, auth=auth, timeout=WAIT)
    requests.post(
        emulator.api_url + "/signature_request/send",
        auth=auth,
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=WAIT,
    )
    log = emulator.api_log()
    assert list(zip(log.status, log.error_name, strict=True)) == [
        (401, "unauthorized"),
        (404, "not_found"),
        (400, "bad_request"),
    ]
    assert pd.isna(log.account_id.iloc[0]) and log.account_id.iloc[1] == emulator.account_id
    assert log.signature_request_id.iloc[1] == "f" * 40
    assert json.loads(log.params.iloc[2]) == {
        "body": "(9 bytes of application/json, not JSON: not kept)"
    }


def leaky_requests(emulator: Emulator) -> None:
    """Send :data:`LEAKY` in Basic auth (user and password), Bearer, a query, form fields and
    JSON, to the API and the control plane."""
    api = emulator.api_url
    requests.get(api + "/account", auth=(LEAKY, ""), timeout=WAIT)
    requests.get(api + "/account", auth=(emulator.api_key, LEAKY), timeout=WAIT)
    requests.get(api + "/account", headers={"Authorization": f"Bearer {LEAKY}"}, timeout=WAIT)
    requests.get(api + f"/account?api_key={LEAKY}&note=x{LEAKY}x", auth=(LEAKY, ""), timeout=WAIT)
    requests.post(
        api + "/signature_request/send",
        auth=(emulator.api_key, ""),
        data={"api_key": LEAKY, "message": f"my key is {LEAKY}", "signers[0][pin]": "1234"},
        timeout=WAIT,
    )
    requests.put(
        api + "/account",
        auth=(emulator.api_key, ""),
        json={"api_key": LEAKY, "metadata": {"note": f"key={LEAKY}"}, "locale": LEAKY},
        timeout=WAIT,
    )
    requests.post(
        emulator.base_url + "/_emulator/faults",
        json={"target": "api", "action": "delay", "match": LEAKY},
        timeout=WAIT,
    )


def test_no_key_token_or_password_is_ever_kept(emulator):
    leaky_requests(emulator)
    requests.get(emulator.api_url + "/account", auth=(emulator.api_key, ""), timeout=WAIT)
    log = emulator.api_log()
    assert len(log) == 8
    text = everything(log)
    assert LEAKY not in text and emulator.api_key not in text
    assert "1234" not in text  # a signer's PIN
    assert log.key_fingerprint.iloc[0] == fingerprint(LEAKY)  # named, one way
    assert list(log.auth.iloc[:3]) == ["basic", "basic", "bearer"]
    assert "api_key=[REDACTED]" in log["query"].iloc[3]
    form = json.loads(log.params.iloc[4])
    assert form["api_key"] == REDACTED and form["message"] == f"my key is {REDACTED}"
    assert json.loads(log.params.iloc[5])["metadata"] == {"note": f"key={REDACTED}"}
    answer = requests.get(emulator.base_url + "/_emulator/api_log", timeout=WAIT)
    assert answer.status_code == 200 and LEAKY not in answer.text
    assert emulator.api_key not in answer.text


def test_sign_url_file_link_and_session_tokens_are_cut_out(emulator, client, listener):
    request = client.create_embedded(
        b"Sign here: [sig|req|signer1]", [("Ann", "ann@example.com")], use_text_tags=True
    )
    sr_id = request.signature_request_id
    listener.wait_for("signature_request_sent", signature_request_id=sr_id, timeout=WAIT)
    signature_id = request.signatures[0].signature_id
    sign_url = client.sign_url(signature_id).sign_url
    token = sign_url.split("token=")[1]
    page = requests.get(sign_url, timeout=WAIT)
    session = page.text.split('name="session" value="')[1].split('"')[0]
    requests.post(
        emulator.base_url + "/editor/embeddedSign",
        data={"session": session, "action": "sign"},
        timeout=WAIT,
    )
    emulator.wait_settled()
    link = requests.get(
        f"{emulator.api_url}/signature_request/files_as_file_url/{request.signature_request_id}",
        auth=(emulator.api_key, ""),
        timeout=WAIT,
    )
    file_token = link.json()["file_url"].rsplit("/", 1)[1]
    requests.get(link.json()["file_url"], timeout=WAIT)
    text = everything(emulator.api_log())
    for secret in (token, session, file_token):
        assert secret not in text
    log = emulator.api_log()
    assert list(log.plane.iloc[-5:]) == ["api", "page", "page", "api", "page"]
    assert log.path.iloc[-1] == f"/_emulator/file_links/{REDACTED}"
    assert json.loads(log.params.iloc[-3]) == {"session": REDACTED, "action": "sign"}


def test_control_plane_calls_are_kept_and_reading_the_log_is_not(emulator):
    requests.post(emulator.base_url + "/_emulator/advance", json={"seconds": 5}, timeout=WAIT)
    for _ in range(2):
        answer = requests.get(emulator.base_url + "/_emulator/api_log", timeout=WAIT)
    body = answer.json()
    assert [call["path"] for call in body["calls"]] == ["/_emulator/advance"]
    assert body["calls"][0]["plane"] == "control" and body["last"] == 1
    assert (body["dropped"], body["size"]) == (0, 10_000)
    log = emulator.api_log()
    assert list(log.path) == ["/_emulator/advance"] and list(log.plane) == ["control"]


def test_the_control_endpoint_pages_and_refuses_cross_site_reads(emulator):
    for _ in range(3):
        requests.get(emulator.api_url + "/account", auth=(emulator.api_key, ""), timeout=WAIT)
    url = emulator.base_url + "/_emulator/api_log"
    page = requests.get(url, params={"since": 1, "limit": 1}, timeout=WAIT).json()
    assert [c["call_id"] for c in page["calls"]] == [2] and page["last"] == 2
    rest = requests.get(url, params={"since": page["last"]}, timeout=WAIT).json()
    assert [c["call_id"] for c in rest["calls"]] == [3]
    bad = requests.get(url, params={"limit": 0}, timeout=WAIT)
    assert bad.status_code == 400 and bad.json()["error"]["error_path"] == "limit"
    foreign = requests.get(url, headers={"Origin": "https://evil.example"}, timeout=WAIT)
    assert foreign.status_code == 403 and foreign.json()["error"]["error_name"] == "forbidden"
    assert "calls" not in foreign.json()


def test_the_log_keeps_the_newest_calls_and_counts_the_dropped_ones():
    with Emulator(**FAST, api_log_size=3) as emulator:
        for _ in range(5):
            requests.get(emulator.api_url + "/account", auth=(emulator.api_key, ""), timeout=WAIT)
        log = emulator.api_log()
        assert list(log.call_id) == [3, 4, 5]
        assert log.attrs["dropped"] == emulator.api_log_dropped == 2


def test_a_log_of_size_zero_keeps_nothing_but_still_tells_its_hooks():
    with Emulator(**FAST, api_log_size=0) as emulator:
        seen = []
        emulator.on_api_call(seen.append)
        requests.get(emulator.api_url + "/account", auth=(emulator.api_key, ""), timeout=WAIT)
        assert emulator.api_log().empty and emulator.api_log_dropped == 1
        assert [call.path for call in seen] == ["/v3/account"]


def test_reset_forgets_the_log(emulator):
    requests.get(emulator.api_url + "/account", auth=(emulator.api_key, ""), timeout=WAIT)
    requests.post(emulator.base_url + "/_emulator/reset", json={}, timeout=WAIT)
    log = emulator.api_log()
    assert list(log.path) == ["/_emulator/reset"] and list(log.call_id) == [1]


def test_an_empty_log_has_every_column_typed():
    frame = api_log_frame([])
    assert list(frame.columns) == list(API_LOG_COLUMNS)
    assert frame.dtypes.to_dict() == {
        name: pd.api.types.pandas_dtype(t) for name, t in API_LOG_COLUMNS.items()
    }
    assert list(PLANE_DTYPE.categories) == list(PLANES)


def test_redaction_by_name_by_value_and_in_urls():
    secrets = ["s3cret-value-1234", "k"]
    assert redact({"signers[0][pin]": "1", "oauth[secret]": "x", "name": "k"}, secrets) == {
        "signers[0][pin]": REDACTED,
        "oauth[secret]": REDACTED,
        "name": REDACTED,  # a short secret only where it is a whole value
    }
    assert redact({"title": "kayak"}, secrets) == {"title": "kayak"}
    text = "https://x/editor/embeddedSign?signature_id=a&token=abc&x=s3cret-value-1234"
    assert scrub(text, secrets) == (
        f"https://x/editor/embeddedSign?signature_id=a&token={REDACTED}&x={REDACTED}"
    )
    assert scrub("/_emulator/sessions/abc/document.pdf", []) == (
        f"/_emulator/sessions/{REDACTED}/document.pdf"
    )
    long = redact({"message": "y" * 600}, [])["message"]
    assert long.startswith("y" * 500) and long.endswith("...[+100 chars]")


def test_a_secret_is_cut_out_before_a_long_text_is_shortened():
    log = ApiLog()
    secret = "z" * 20
    raw = RawCall("api", 0.0, "POST", "/v3/x", params={"m": "y" * 495 + secret})
    call = log.record(raw, [secret])
    assert "zzzzz" not in call.params and call.params.endswith('y[REDA...[+5 chars]"}')


def test_a_malformed_basic_header_is_logged_without_its_value(emulator):
    junk = base64.b64encode(b"\xff\xfe" + LEAKY.encode()).decode()
    requests.get(
        emulator.api_url + "/account", headers={"Authorization": f"Basic {junk}"}, timeout=WAIT
    )
    log = emulator.api_log()
    assert log.status.iloc[-1] == 401 and log.auth.iloc[-1] == "basic"
    assert pd.isna(log.key_fingerprint.iloc[-1])
    assert junk not in everything(log) and LEAKY not in everything(log)


@pytest.fixture
def cli(receiver):
    """``hsnb emulator --api-log`` as a process; its output lines on a queue."""
    with emulator_process(
        "--api-log",
        "--start-time=epoch",
        "--time-scale=0.000001",
        "--processing-delay=0",
        f"--callback-url={receiver.url}",
        timeout=WAIT,
    ) as running:
        yield running


def test_the_command_prints_each_request_as_it_is_answered_and_never_a_key(cli, receiver):
    proc, lines = cli
    head = [lines.get(timeout=WAIT).rstrip("\n") for _ in range(3)]
    api_url, key = head[0].removeprefix("api: "), head[1].removeprefix("api_key: ")
    client_id = head[2].removeprefix("client_id: ")
    emulator = type("Running", (), {"api_url": api_url, "api_key": key})()
    emulator.base_url = api_url.removesuffix("/v3")
    leaky_requests(emulator)
    requests.post(
        f"{api_url}/signature_request/create_embedded",
        auth=(key, ""),
        timeout=WAIT,
        **create_form(client_id),
    )
    receiver.wait_for(1, timeout=WAIT)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(WAIT) == 0
    rest = []
    while not lines.empty():
        rest.append(lines.get_nowait().rstrip("\n"))
    calls = [line for line in rest if line.split(" ")[0] in PLANES]
    assert len(calls) == 8
    assert calls[0].startswith("api 401 GET /v3/account unauthorized ")
    assert calls[3].startswith(f"api 401 GET /v3/account?api_key={REDACTED}&note=x{REDACTED}x ")
    assert calls[6].startswith("control 201 POST /_emulator/faults ")
    assert calls[7].startswith("api 200 POST /v3/signature_request/create_embedded ")
    assert calls[7].endswith(" ms")
    assert any(line.startswith("acknowledged 200 signature_request_sent") for line in rest)
    output = "\n".join(head + rest) + proc.stderr.read()
    assert LEAKY not in output
    assert [line for line in head + rest if key in line] == [head[1]]  # only the header says it


def test_anything_shaped_like_a_dropbox_sign_key_is_cut_out_even_never_presented(emulator):
    real = "9f" * 32  # a real key's shape: 64 hex digits
    requests.put(
        emulator.api_url + "/account",
        auth=(emulator.api_key, ""),
        json={"locale": "en-US", "metadata": {"note": f"prod key {real}"}},
        timeout=WAIT,
    )
    log = emulator.api_log()
    assert real not in everything(log)
    assert json.loads(log.params.iloc[-1])["metadata"] == {"note": f"prod key {REDACTED}"}
