"""``file_urls``: documents downloaded during processing, from a real file server on 127.0.0.1.

The server (Tornado, on hsnb's loop) serves the sample NDA, a text letter, garbage, a slow
answer, a redirect, and 404 for anything else. Every wait is bounded; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from dropbox_sign import ApiClient, Configuration, apis, models

from hsnb.emulator import Emulator
from hsnb.emulator.command import add_arguments
from hsnb.emulator.service.documents import pdf_text
from hsnb.emulator.service.models import EmittedEvent
from hsnb.testing import Receiver
from tests.emulator.file_server import FileServer
from tests.emulator.helpers import FAST, Harness, document, signers

WAIT = 10.0
TIMEOUT = 1.0  # the emulator's file_fetch_timeout in these tests (real seconds)
OUTCOMES = ("signature_request_sent", "file_error", "unknown_error", "signature_request_invalid")
NDA = document("nda-two-signers.pdf")
LETTER = document("letter.txt")
GARBAGE = document("not-a-pdf.bin")


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def files() -> Iterator[FileServer]:
    """A file server on 127.0.0.1."""
    server = FileServer()
    yield server
    server.stop()


@pytest.fixture
def fetching(receiver: Receiver) -> Iterator[Emulator]:
    """An emulator (downloads time out after :data:`TIMEOUT`) calling back ``receiver``."""
    settings = {**FAST, "name": "file-urls", "file_fetch_timeout": TIMEOUT}
    with Emulator(**settings, callback_url=receiver.url) as running:
        yield running
        assert running.clock.errors == []


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A URL on a 127.0.0.1 port that is bound but not listening: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/nda.pdf"


# -- helpers ------------------------------------------------------------------------------------


def auth(fetching: Emulator) -> tuple[str, str]:
    return (fetching.api_key, "")


def json_body(fetching: Emulator, urls: list[str], **extra: Any) -> dict[str, Any]:
    """A create_embedded body with ``file_urls``, two signers and text tags."""
    return {
        "client_id": fetching.client_id,
        "file_urls": urls,
        "signers": signers(2),
        "use_text_tags": True,
        "title": "NDA",
        **extra,
    }


def create(
    fetching: Emulator, urls: list[str], path: str = "create_embedded", **extra: Any
) -> requests.Response:
    """POST a JSON create/send with ``file_urls``; assert the 200 and return the answer."""
    answer = requests.post(
        f"{fetching.api_url}/signature_request/{path}",
        json=json_body(fetching, urls, **extra),
        auth=auth(fetching),
        timeout=WAIT,
    )
    assert answer.status_code == 200, answer.text
    return answer


def request_id(answer: requests.Response) -> str:
    return answer.json()["signature_request"]["signature_request_id"]


def events_of(fetching: Emulator, sr_id: str) -> list[EmittedEvent]:
    return [e for e in fetching.emitted() if e.signature_request_id == sr_id]


def wait_event(
    fetching: Emulator, sr_id: str, types: tuple[str, ...], timeout: float = WAIT
) -> EmittedEvent:
    """The first event of ``sr_id`` among ``types`` (waits up to ``timeout`` real seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in events_of(fetching, sr_id) if e.event_type in types]
        if found:
            return found[0]
        if time.monotonic() >= deadline:
            raise TimeoutError(f"no {types} for {sr_id}: {events_of(fetching, sr_id)}")
        time.sleep(0.01)


def outcome(fetching: Emulator, sr_id: str, timeout: float = WAIT) -> EmittedEvent:
    """The event that ended processing of ``sr_id``."""
    return wait_event(fetching, sr_id, OUTCOMES, timeout)


def get(fetching: Emulator, sr_id: str) -> dict[str, Any]:
    answer = requests.get(
        f"{fetching.api_url}/signature_request/{sr_id}", auth=auth(fetching), timeout=WAIT
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["signature_request"]


def error_of(answer: requests.Response) -> dict[str, Any]:
    assert answer.status_code == 400, answer.text
    return answer.json()["error"]


def data_url(data: bytes, media_type: str = "application/pdf") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


# -- a good URL behaves like an upload ----------------------------------------------------------


def test_the_answer_comes_first_and_the_download_during_processing(files):
    settings = {**FAST, "name": "file-urls-manual", "time_scale": None, "processing_delay": 5}
    with Emulator(**settings) as fetching:
        answer = create(fetching, [files.url("/nda-two-signers.pdf")])
        sr_id = request_id(answer)
        assert answer.json()["signature_request"]["has_error"] is False
        assert files.requests == []  # nothing is downloaded before processing starts
        fetching.advance(5)
        assert fetching.wait_idle(WAIT)
        assert files.requests == [("/nda-two-signers.pdf", "hsnb-emulator")]
        event = outcome(fetching, sr_id, timeout=0)
        assert event.event_type == "signature_request_sent"
        assert event.event_time == FAST["start_time"] + 5  # a download does not move the clock


def test_wait_idle_waits_for_a_download(files):
    settings = {**FAST, "name": "file-urls-manual", "time_scale": None, "processing_delay": 1}
    with Emulator(**settings) as fetching:
        sr_id = request_id(create(fetching, [files.url("/slow.pdf?seconds=0.3")]))
        fetching.advance(1)
        assert fetching.wait_idle(WAIT)
        assert [e.event_type for e in events_of(fetching, sr_id)] == ["signature_request_sent"]


def test_a_good_url_is_sent_signed_and_gives_a_signed_final_pdf(fetching, files, receiver):
    sr_id = request_id(create(fetching, [files.url("/nda-two-signers.pdf")]))
    assert outcome(fetching, sr_id).event_type == "signature_request_sent"
    request = get(fetching, sr_id)
    for signature in request["signatures"]:
        assert signature["status_code"] == "awaiting_signature"
        fetching.sign(signature["signature_id"])
    wait_event(fetching, sr_id, ("signature_request_downloadable",))
    assert receiver.wait_for(7, timeout=WAIT)[0].event_type == "signature_request_sent"
    final = requests.get(
        f"{fetching.api_url}/signature_request/files/{sr_id}", auth=auth(fetching), timeout=WAIT
    )
    assert final.status_code == 200
    text = pdf_text(final.content)
    assert "Status: completed" in text and "nda-two-signers.pdf" in text
    assert "Jack" in text and "Jill" in text and "signed 2026-01-01" in text
    fields = {field["api_id"] for field in get(fetching, sr_id)["response_data"]}
    assert {"sig1", "sig2"} <= fields  # the text tags of the downloaded PDF were read


@pytest.mark.parametrize("path", ["create_embedded", "send"])
@pytest.mark.parametrize("encoding", ["json", "bracket multipart", "sdk multipart"])
def test_file_urls_in_every_request_encoding(fetching, files, path, encoding):
    url = files.url("/nda-two-signers.pdf")
    body = json_body(fetching, [url])
    if path == "send":
        del body["client_id"]
    if encoding == "json":
        kwargs: dict[str, Any] = {"json": body}
    elif encoding == "bracket multipart":
        fields = [("file_urls[]", url), ("use_text_tags", "1"), ("title", "NDA")]
        for i, signer in enumerate(body["signers"]):
            fields += [(f"signers[{i}][{k}]", v) for k, v in signer.items()]
        if "client_id" in body:
            fields.append(("client_id", body["client_id"]))
        kwargs = {"files": [(name, (None, value)) for name, value in fields]}
    else:
        fields = [
            (k, json.dumps(v) if isinstance(v, list) else str(v).lower()) for k, v in body.items()
        ]
        kwargs = {"files": [(name, (None, value)) for name, value in fields]}
    answer = requests.post(
        f"{fetching.api_url}/signature_request/{path}", auth=auth(fetching), timeout=WAIT, **kwargs
    )
    assert answer.status_code == 200, answer.text
    assert outcome(fetching, request_id(answer)).event_type == "signature_request_sent"


def test_a_chunked_answer_is_read_whole(fetching, files):
    sr_id = request_id(create(fetching, [files.url("/chunked.pdf")]))
    assert outcome(fetching, sr_id).event_type == "signature_request_sent"


def test_a_redirect_is_followed_and_the_file_keeps_its_name(fetching, files):
    sr_id = request_id(create(fetching, [files.url("/moved.pdf")]))
    assert outcome(fetching, sr_id).event_type == "signature_request_sent"
    assert [path for path, _ in files.requests] == ["/nda-two-signers.pdf"]
    copy = requests.get(
        f"{fetching.api_url}/signature_request/files/{sr_id}", auth=auth(fetching), timeout=WAIT
    )
    assert "Documents: nda-two-signers.pdf" in pdf_text(copy.content)


def test_several_urls_and_a_text_file(fetching, files):
    urls = [files.url("/nda-two-signers.pdf"), files.url("/letter.txt")]
    sr_id = request_id(create(fetching, urls))
    assert outcome(fetching, sr_id).event_type == "signature_request_sent"
    zipped = requests.get(
        f"{fetching.api_url}/signature_request/files/{sr_id}?file_type=zip",
        auth=auth(fetching),
        timeout=WAIT,
    )
    assert zipped.status_code == 200 and zipped.content.startswith(b"PK")
    assert b"nda-two-signers.pdf" in zipped.content and b"letter.pdf" in zipped.content


def test_a_url_without_a_file_name_gets_one(fetching, files):
    sr_id = request_id(create(fetching, [files.url("/download")]))
    assert outcome(fetching, sr_id).event_type == "signature_request_sent"
    copy = requests.get(
        f"{fetching.api_url}/signature_request/files/{sr_id}", auth=auth(fetching), timeout=WAIT
    )
    assert "Documents: download.pdf" in pdf_text(copy.content)


def test_text_tag_errors_in_a_downloaded_file_are_reported_as_for_uploads(fetching, files):
    sr_id = request_id(create(fetching, [files.url("/nda-two-signers.pdf")], signers=signers(1)))
    event = outcome(fetching, sr_id)
    assert event.event_type == "signature_request_invalid"  # a signer mismatch
    assert "signer2" in event.event_message
    assert {s["status_code"] for s in get(fetching, sr_id)["signatures"]} == {"error_text_tag"}


# -- data: URLs ---------------------------------------------------------------------------------


def test_a_data_url_works_offline_like_an_upload(fetching):
    sr_id = request_id(create(fetching, [data_url(NDA)]))
    assert outcome(fetching, sr_id).event_type == "signature_request_sent"
    for signature in get(fetching, sr_id)["signatures"]:
        fetching.sign(signature["signature_id"])
    assert get(fetching, sr_id)["is_complete"] is True


def test_a_percent_encoded_text_data_url(fetching):
    text = "Please review.\n\nSign here: [sig|req|signer1|Reviewer|letter_sig]\n"
    url = "data:text/plain;name=review.txt," + quote(text)
    sr_id = request_id(create(fetching, [url], signers=signers(1)))
    assert outcome(fetching, sr_id).event_type == "signature_request_sent"
    fetching.sign(get(fetching, sr_id)["signatures"][0]["signature_id"])
    assert [f["api_id"] for f in get(fetching, sr_id)["response_data"]] == ["letter_sig"]
    copy = requests.get(
        f"{fetching.api_url}/signature_request/files/{sr_id}", auth=auth(fetching), timeout=WAIT
    )
    assert "Documents: review.txt" in pdf_text(copy.content)


def test_a_data_url_with_broken_base64_is_a_file_error(fetching):
    sr_id = request_id(create(fetching, ["data:application/pdf;base64,JVBERi0x!!"]))
    event = outcome(fetching, sr_id)
    assert event.event_type == "file_error"
    assert event.event_message.startswith("could not read file_urls[0] (data:application/pdf")
    assert "base64 is not valid" in event.event_message


def test_data_urls_in_a_backend_without_network():
    harness = Harness()
    params = {"files": [], "file_urls": [data_url(NDA)]}
    sr = harness.create(**params)
    harness.clock.advance(60)
    assert harness.types(sr.signature_request_id) == ["signature_request_sent"]
    other = harness.create(files=[], file_urls=["https://example.com/nda.pdf"])
    harness.clock.advance(60)
    assert harness.types(other.signature_request_id) == ["file_error"]
    assert "no network access" in other.signers[0].error


# -- a URL that cannot be used ends with file_error ---------------------------------------------


def assert_file_error(fetching, receiver, sr_id: str, message: str) -> None:
    """``file_error`` with ``message``, never ``sent``: in the event, the callback and GET."""
    event = outcome(fetching, sr_id)
    assert event.event_type == "file_error"
    assert event.event_message == message
    receiver.wait_for(1, timeout=WAIT)
    payload = receiver.received[-1].payload
    assert payload["event"]["event_type"] == "file_error"
    assert payload["event"]["event_metadata"]["event_message"] == message
    request = get(fetching, sr_id)
    for shown in (payload["signature_request"], request):
        assert shown["has_error"] is True
        assert {s["status_code"] for s in shown["signatures"]} == {"error_file"}
        assert {s["error"] for s in shown["signatures"]} == {message}
    types = [e.event_type for e in events_of(fetching, sr_id)]
    assert types == ["file_error"]


def test_http_404_is_a_file_error(fetching, files, receiver):
    url = files.url("/gone.pdf")
    sr_id = request_id(create(fetching, [url]))
    message = f"could not download file_urls[0] ({url}): HTTP 404 Not Found"
    assert_file_error(fetching, receiver, sr_id, message)


def test_connection_refused_is_a_file_error(fetching, receiver, refused_url):
    sr_id = request_id(create(fetching, [refused_url]))
    message = f"could not download file_urls[0] ({refused_url}): connection refused"
    assert_file_error(fetching, receiver, sr_id, message)


def test_a_timeout_is_a_file_error(fetching, files, receiver):
    url = files.url("/slow.pdf?seconds=5")
    started = time.monotonic()
    sr_id = request_id(create(fetching, [url]))
    message = f"could not download file_urls[0] ({url}): no answer within {TIMEOUT:g} seconds"
    assert_file_error(fetching, receiver, sr_id, message)
    assert time.monotonic() - started < 4  # the timeout, not the server, ended it


def test_a_file_that_is_neither_pdf_nor_text_is_a_file_error(fetching, files, receiver):
    url = files.url("/garbage.bin")
    sr_id = request_id(create(fetching, [url]))
    event = outcome(fetching, sr_id)
    assert event.event_message.startswith(f"could not convert file_urls[0] ({url}): garbage.bin")
    assert "neither a PDF nor UTF-8 text" in event.event_message
    assert_file_error(fetching, receiver, sr_id, event.event_message)


def test_a_file_over_the_size_cap_is_a_file_error(files, receiver):
    settings = {**FAST, "name": "file-urls-small", "file_fetch_max_bytes": 1000}
    with Emulator(**settings, callback_url=receiver.url) as fetching:
        url = files.url("/nda-two-signers.pdf")
        sr_id = request_id(create(fetching, [url]))
        message = (
            f"could not download file_urls[0] ({url}): the file is {len(NDA)} bytes, "
            "more than the 1000-byte limit"
        )
        assert_file_error(fetching, receiver, sr_id, message)
        sr_id = request_id(create(fetching, [files.url("/chunked.pdf")]))
        assert "larger than the 1000-byte limit" in outcome(fetching, sr_id).event_message
        sr_id = request_id(create(fetching, [data_url(NDA)]))
        assert "more than the 1000-byte limit" in outcome(fetching, sr_id).event_message


def test_the_first_failing_url_by_position_names_the_error(fetching, files, receiver):
    urls = [files.url("/nda-two-signers.pdf"), files.url("/gone.pdf"), files.url("/garbage.bin")]
    sr_id = request_id(create(fetching, urls))
    message = f"could not download file_urls[1] ({urls[1]}): HTTP 404 Not Found"
    assert_file_error(fetching, receiver, sr_id, message)


# -- exactly one of files and file_urls ---------------------------------------------------------


def test_files_and_file_urls_together_are_a_bad_request(fetching, files):
    fields = {"client_id": fetching.client_id, "file_urls[0]": files.url("/nda-two-signers.pdf")}
    fields |= {"signers[0][name]": "Jack", "signers[0][email_address]": "jack@example.com"}
    answer = requests.post(
        f"{fetching.api_url}/signature_request/create_embedded",
        data=fields,
        files={"files[0]": ("nda.pdf", NDA, "application/pdf")},
        auth=auth(fetching),
        timeout=WAIT,
    )
    error = error_of(answer)
    assert error["error_name"] == "bad_request" and error["error_path"] == "file_urls"
    assert error["error_msg"] == "Specify files or file_urls, not both."
    assert files.requests == [] and fetching.emitted() == []


def test_neither_files_nor_file_urls_is_a_bad_request(fetching):
    body = json_body(fetching, [])
    answer = requests.post(
        f"{fetching.api_url}/signature_request/send", json=body, auth=auth(fetching), timeout=WAIT
    )
    error = error_of(answer)
    assert error["error_name"] == "bad_request" and error["error_path"] == "files"
    assert error["error_msg"] == "Must specify files or file_urls."


@pytest.mark.parametrize("bad", ["ftp://example.com/nda.pdf", "nda.pdf", "https:///nda.pdf", ""])
def test_a_file_url_that_is_not_an_http_or_data_url_is_a_bad_request(fetching, bad):
    body = json_body(fetching, [data_url(NDA), bad])
    answer = requests.post(
        f"{fetching.api_url}/signature_request/create_embedded",
        json=body,
        auth=auth(fetching),
        timeout=WAIT,
    )
    error = error_of(answer)
    assert error["error_name"] == "bad_request" and error["error_path"] == "file_urls[1]"
    assert error["error_msg"].startswith(f"Invalid url for file_urls[1] : {bad} ")


# -- reset, stop, layers, the SDK ---------------------------------------------------------------


def test_reset_during_a_download_forgets_it(fetching, files):
    create(fetching, [files.url("/slow.pdf?seconds=0.5")])
    deadline = time.monotonic() + WAIT
    while not files.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fetching.fetcher.in_flight == 1
    fetching.reset()
    assert fetching.wait_idle(WAIT)
    time.sleep(0.7)  # past the server's answer: nothing may come of the abandoned download
    assert fetching.emitted() == []


def test_stopping_during_a_download_is_prompt(files):
    settings = {**FAST, "name": "file-urls-stop", "file_fetch_timeout": 30}
    with Emulator(**settings) as fetching:
        create(fetching, [files.url("/slow.pdf?seconds=30")])
        deadline = time.monotonic() + WAIT
        while not fetching.fetcher.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fetching.fetcher.in_flight == 1
        started = time.monotonic()
        fetching.stop()
        assert time.monotonic() - started < 5
        assert fetching.fetcher.in_flight == 0 and fetching.clock.errors == []


def test_the_timeout_is_an_emulator_option_and_a_command_line_option():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["--file-fetch-timeout", "2.5"]).file_fetch_timeout == 2.5
    assert parser.parse_args([]).file_fetch_timeout == 10.0
    fetching = Emulator(**FAST, file_fetch_timeout=3, file_fetch_max_bytes=5000, start=False)
    assert (fetching.fetcher.timeout, fetching.fetcher.max_bytes) == (3.0, 5000)
    with pytest.raises(ValueError, match="file_fetch_timeout must be positive"):
        Emulator(**FAST, file_fetch_timeout=0, start=False)


def test_the_official_sdk_file_urls_parameter(fetching, files):
    client = ApiClient(Configuration(host=fetching.api_url, username=fetching.api_key))
    request = models.SignatureRequestCreateEmbeddedRequest(
        client_id=fetching.client_id,
        file_urls=[files.url("/nda-two-signers.pdf")],
        signers=[
            models.SubSignatureRequestSigner(name="Jack", email_address="jack@example.com"),
            models.SubSignatureRequestSigner(name="Jill", email_address="jill@example.com"),
        ],
        use_text_tags=True,
        test_mode=True,
    )
    answer = apis.SignatureRequestApi(client).signature_request_create_embedded(request)
    sr_id = answer.signature_request.signature_request_id
    assert outcome(fetching, sr_id).event_type == "signature_request_sent"
    fetched = apis.SignatureRequestApi(client).signature_request_get(sr_id)
    statuses = {s.status_code for s in fetched.signature_request.signatures}
    assert fetched.signature_request.has_error is False and statuses == {"awaiting_signature"}
