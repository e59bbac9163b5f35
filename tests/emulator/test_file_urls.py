"""``file_urls``: documents downloaded during processing, from a real file server on 127.0.0.1.

The server (Tornado, on hsnb's loop) serves the sample NDA, a text letter, garbage, a slow
answer, a redirect, and 404 for anything else. Every wait is bounded; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
import tornado.httpserver
import tornado.netutil
import tornado.web
from dropbox_sign import ApiClient, Configuration, apis, models

from hsnb.emulator import Emulator
from hsnb.emulator.command import add_arguments
from hsnb.emulator.service.documents import pdf_text
from hsnb.emulator.service.models import EmittedEvent
from hsnb.runtime import background_loop
from tests.emulator.helpers import FAST, Harness, document, signers
from tests.emulator.receiver import Receiver

WAIT = 10.0
TIMEOUT = 1.0  # the emulator's file_fetch_timeout in these tests (real seconds)
OUTCOMES = ("signature_request_sent", "file_error", "unknown_error", "signature_request_invalid")
NDA = document("nda-two-signers.pdf")
LETTER = document("letter.txt")
GARBAGE = document("not-a-pdf.bin")


# -- a file server on 127.0.0.1 -----------------------------------------------------------------


class _File(tornado.web.RequestHandler):
    def initialize(self, server: FileServer, data: bytes, content_type: str) -> None:
        self.server, self.data, self.content_type = server, data, content_type

    def get(self) -> None:
        self.server.seen(self)
        self.set_header("Content-Type", self.content_type)
        self.finish(self.data)


class _Slow(tornado.web.RequestHandler):
    """Answers with the NDA after ``?seconds=`` (unless the client hung up by then)."""

    def initialize(self, server: FileServer) -> None:
        self.server = server
        self.gone = False

    def on_connection_close(self) -> None:
        self.gone = True

    async def get(self) -> None:
        self.server.seen(self)
        await asyncio.sleep(float(self.get_query_argument("seconds")))
        if not self.gone:
            self.set_header("Content-Type", "application/pdf")
            self.finish(NDA)


class _Chunked(tornado.web.RequestHandler):
    """The NDA in 500-byte chunks, with no Content-Length (``Transfer-Encoding: chunked``)."""

    def initialize(self, server: FileServer) -> None:
        self.server = server

    async def get(self) -> None:
        self.server.seen(self)
        self.set_header("Content-Type", "application/pdf")
        for start in range(0, len(NDA), 500):
            self.write(NDA[start : start + 500])
            await self.flush()


class _Missing(tornado.web.RequestHandler):
    def initialize(self, server: FileServer) -> None:
        self.server = server

    def get(self) -> None:
        self.server.seen(self)
        raise tornado.web.HTTPError(404)


class FileServer:
    """Serves sample documents over HTTP on 127.0.0.1 and records each request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.base = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        me = {"server": self}
        pdf = {**me, "data": NDA, "content_type": "application/pdf"}
        rules = [
            ("/nda-two-signers.pdf", _File, pdf),
            ("/download", _File, pdf),
            ("/letter.txt", _File, {**me, "data": LETTER, "content_type": "text/plain"}),
            ("/garbage.bin", _File, {**me, "data": GARBAGE, "content_type": "application/x-bin"}),
            ("/slow.pdf", _Slow, me),
            ("/chunked.pdf", _Chunked, me),
            ("/moved.pdf", tornado.web.RedirectHandler, {"url": "/nda-two-signers.pdf"}),
            (r"/.*", _Missing, me),
        ]

        async def serve() -> tornado.httpserver.HTTPServer:
            app = tornado.web.Application(rules, log_function=lambda handler: None)
            server = tornado.httpserver.HTTPServer(app)
            server.add_sockets(sockets)
            return server

        self._server = background_loop().run(serve())

    def url(self, path: str) -> str:
        """The full URL of ``path`` on this server."""
        return self.base + path

    def seen(self, handler: tornado.web.RequestHandler) -> None:
        """Record a request: its path and query, and its User-Agent."""
        self.requests.append((handler.request.uri, handler.request.headers.get("User-Agent", "")))

    def stop(self) -> None:
        """Stop serving and drop open connections."""

        async def shutdown() -> None:
            self._server.stop()
            await self._server.close_all_connections()

        background_loop().run(shutdown())


@pytest.fixture
def files() -> Iterator[FileServer]:
    """A file server on 127.0.0.1."""
    server = FileServer()
    yield server
    server.stop()


@pytest.fixture
def emulator(receiver: Receiver) -> Iterator[Emulator]:
    """A fast emulator (downloads time out after :data:`TIMEOUT`) calling back ``receiver``."""
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


def auth(emulator: Emulator) -> tuple[str, str]:
    return (emulator.api_key, "")


def json_body(emulator: Emulator, urls: list[str], **extra: Any) -> dict[str, Any]:
    """A create_embedded body with ``file_urls``, two signers and text tags."""
    return {
        "client_id": emulator.client_id,
        "file_urls": urls,
        "signers": signers(2),
        "use_text_tags": True,
        "title": "NDA",
        **extra,
    }


def create(
    emulator: Emulator, urls: list[str], path: str = "create_embedded", **extra: Any
) -> requests.Response:
    """POST a JSON create/send with ``file_urls``; assert the 200 and return the answer."""
    answer = requests.post(
        f"{emulator.api_url}/signature_request/{path}",
        json=json_body(emulator, urls, **extra),
        auth=auth(emulator),
        timeout=WAIT,
    )
    assert answer.status_code == 200, answer.text
    return answer


def request_id(answer: requests.Response) -> str:
    return answer.json()["signature_request"]["signature_request_id"]


def events_of(emulator: Emulator, sr_id: str) -> list[EmittedEvent]:
    return [e for e in emulator.emitted() if e.signature_request_id == sr_id]


def wait_event(
    emulator: Emulator, sr_id: str, types: tuple[str, ...], timeout: float = WAIT
) -> EmittedEvent:
    """The first event of ``sr_id`` among ``types`` (waits up to ``timeout`` real seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in events_of(emulator, sr_id) if e.event_type in types]
        if found:
            return found[0]
        if time.monotonic() >= deadline:
            raise TimeoutError(f"no {types} for {sr_id}: {events_of(emulator, sr_id)}")
        time.sleep(0.01)


def outcome(emulator: Emulator, sr_id: str, timeout: float = WAIT) -> EmittedEvent:
    """The event that ended processing of ``sr_id``."""
    return wait_event(emulator, sr_id, OUTCOMES, timeout)


def get(emulator: Emulator, sr_id: str) -> dict[str, Any]:
    answer = requests.get(
        f"{emulator.api_url}/signature_request/{sr_id}", auth=auth(emulator), timeout=WAIT
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
    with Emulator(**settings) as emulator:
        answer = create(emulator, [files.url("/nda-two-signers.pdf")])
        sr_id = request_id(answer)
        assert answer.json()["signature_request"]["has_error"] is False
        assert files.requests == []  # nothing is downloaded before processing starts
        emulator.advance(5)
        assert emulator.wait_idle(WAIT)
        assert files.requests == [("/nda-two-signers.pdf", "hsnb-emulator")]
        event = outcome(emulator, sr_id, timeout=0)
        assert event.event_type == "signature_request_sent"
        assert event.event_time == FAST["start_time"] + 5  # a download does not move the clock


def test_wait_idle_waits_for_a_download(files):
    settings = {**FAST, "name": "file-urls-manual", "time_scale": None, "processing_delay": 1}
    with Emulator(**settings) as emulator:
        sr_id = request_id(create(emulator, [files.url("/slow.pdf?seconds=0.3")]))
        emulator.advance(1)
        assert emulator.wait_idle(WAIT)
        assert [e.event_type for e in events_of(emulator, sr_id)] == ["signature_request_sent"]


def test_a_good_url_is_sent_signed_and_gives_a_signed_final_pdf(emulator, files, receiver):
    sr_id = request_id(create(emulator, [files.url("/nda-two-signers.pdf")]))
    assert outcome(emulator, sr_id).event_type == "signature_request_sent"
    request = get(emulator, sr_id)
    for signature in request["signatures"]:
        assert signature["status_code"] == "awaiting_signature"
        emulator.sign(signature["signature_id"])
    wait_event(emulator, sr_id, ("signature_request_downloadable",))
    assert receiver.wait_for(7, timeout=WAIT)[0].event_type == "signature_request_sent"
    final = requests.get(
        f"{emulator.api_url}/signature_request/files/{sr_id}", auth=auth(emulator), timeout=WAIT
    )
    assert final.status_code == 200
    text = pdf_text(final.content)
    assert "Status: completed" in text and "nda-two-signers.pdf" in text
    assert "Jack" in text and "Jill" in text and "signed 2026-01-01" in text
    fields = {field["api_id"] for field in get(emulator, sr_id)["response_data"]}
    assert {"sig1", "sig2"} <= fields  # the text tags of the downloaded PDF were read


@pytest.mark.parametrize("path", ["create_embedded", "send"])
@pytest.mark.parametrize("encoding", ["json", "bracket multipart", "sdk multipart"])
def test_file_urls_in_every_request_encoding(emulator, files, path, encoding):
    url = files.url("/nda-two-signers.pdf")
    body = json_body(emulator, [url])
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
        f"{emulator.api_url}/signature_request/{path}", auth=auth(emulator), timeout=WAIT, **kwargs
    )
    assert answer.status_code == 200, answer.text
    assert outcome(emulator, request_id(answer)).event_type == "signature_request_sent"


def test_a_chunked_answer_is_read_whole(emulator, files):
    sr_id = request_id(create(emulator, [files.url("/chunked.pdf")]))
    assert outcome(emulator, sr_id).event_type == "signature_request_sent"


def test_a_redirect_is_followed_and_the_file_keeps_its_name(emulator, files):
    sr_id = request_id(create(emulator, [files.url("/moved.pdf")]))
    assert outcome(emulator, sr_id).event_type == "signature_request_sent"
    assert [path for path, _ in files.requests] == ["/nda-two-signers.pdf"]
    copy = requests.get(
        f"{emulator.api_url}/signature_request/files/{sr_id}", auth=auth(emulator), timeout=WAIT
    )
    assert "Documents: nda-two-signers.pdf" in pdf_text(copy.content)


def test_several_urls_and_a_text_file(emulator, files):
    urls = [files.url("/nda-two-signers.pdf"), files.url("/letter.txt")]
    sr_id = request_id(create(emulator, urls))
    assert outcome(emulator, sr_id).event_type == "signature_request_sent"
    zipped = requests.get(
        f"{emulator.api_url}/signature_request/files/{sr_id}?file_type=zip",
        auth=auth(emulator),
        timeout=WAIT,
    )
    assert zipped.status_code == 200 and zipped.content.startswith(b"PK")
    assert b"nda-two-signers.pdf" in zipped.content and b"letter.pdf" in zipped.content


def test_a_url_without_a_file_name_gets_one(emulator, files):
    sr_id = request_id(create(emulator, [files.url("/download")]))
    assert outcome(emulator, sr_id).event_type == "signature_request_sent"
    copy = requests.get(
        f"{emulator.api_url}/signature_request/files/{sr_id}", auth=auth(emulator), timeout=WAIT
    )
    assert "Documents: download.pdf" in pdf_text(copy.content)


def test_text_tag_errors_in_a_downloaded_file_are_reported_as_for_uploads(emulator, files):
    sr_id = request_id(create(emulator, [files.url("/nda-two-signers.pdf")], signers=signers(1)))
    event = outcome(emulator, sr_id)
    assert event.event_type == "signature_request_invalid"  # a signer mismatch
    assert "signer2" in event.event_message
    assert {s["status_code"] for s in get(emulator, sr_id)["signatures"]} == {"error_text_tag"}


# -- data: URLs ---------------------------------------------------------------------------------


def test_a_data_url_works_offline_like_an_upload(emulator):
    sr_id = request_id(create(emulator, [data_url(NDA)]))
    assert outcome(emulator, sr_id).event_type == "signature_request_sent"
    for signature in get(emulator, sr_id)["signatures"]:
        emulator.sign(signature["signature_id"])
    assert get(emulator, sr_id)["is_complete"] is True


def test_a_percent_encoded_text_data_url(emulator):
    text = "Please review.\n\nSign here: [sig|req|signer1|Reviewer|letter_sig]\n"
    url = "data:text/plain;name=review.txt," + quote(text)
    sr_id = request_id(create(emulator, [url], signers=signers(1)))
    assert outcome(emulator, sr_id).event_type == "signature_request_sent"
    emulator.sign(get(emulator, sr_id)["signatures"][0]["signature_id"])
    assert [f["api_id"] for f in get(emulator, sr_id)["response_data"]] == ["letter_sig"]
    copy = requests.get(
        f"{emulator.api_url}/signature_request/files/{sr_id}", auth=auth(emulator), timeout=WAIT
    )
    assert "Documents: review.txt" in pdf_text(copy.content)


def test_a_data_url_with_broken_base64_is_a_file_error(emulator):
    sr_id = request_id(create(emulator, ["data:application/pdf;base64,JVBERi0x!!"]))
    event = outcome(emulator, sr_id)
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


def assert_file_error(emulator, receiver, sr_id: str, message: str) -> None:
    """``file_error`` with ``message``, never ``sent``: in the event, the callback and GET."""
    event = outcome(emulator, sr_id)
    assert event.event_type == "file_error"
    assert event.event_message == message
    receiver.wait_for(1, timeout=WAIT)
    payload = receiver.received[-1].payload
    assert payload["event"]["event_type"] == "file_error"
    assert payload["event"]["event_metadata"]["event_message"] == message
    request = get(emulator, sr_id)
    for shown in (payload["signature_request"], request):
        assert shown["has_error"] is True
        assert {s["status_code"] for s in shown["signatures"]} == {"error_file"}
        assert {s["error"] for s in shown["signatures"]} == {message}
    types = [e.event_type for e in events_of(emulator, sr_id)]
    assert types == ["file_error"]


def test_http_404_is_a_file_error(emulator, files, receiver):
    url = files.url("/gone.pdf")
    sr_id = request_id(create(emulator, [url]))
    message = f"could not download file_urls[0] ({url}): HTTP 404 Not Found"
    assert_file_error(emulator, receiver, sr_id, message)


def test_connection_refused_is_a_file_error(emulator, receiver, refused_url):
    sr_id = request_id(create(emulator, [refused_url]))
    message = f"could not download file_urls[0] ({refused_url}): connection refused"
    assert_file_error(emulator, receiver, sr_id, message)


def test_a_timeout_is_a_file_error(emulator, files, receiver):
    url = files.url("/slow.pdf?seconds=5")
    started = time.monotonic()
    sr_id = request_id(create(emulator, [url]))
    message = f"could not download file_urls[0] ({url}): no answer within {TIMEOUT:g} seconds"
    assert_file_error(emulator, receiver, sr_id, message)
    assert time.monotonic() - started < 4  # the timeout, not the server, ended it


def test_a_file_that_is_neither_pdf_nor_text_is_a_file_error(emulator, files, receiver):
    url = files.url("/garbage.bin")
    sr_id = request_id(create(emulator, [url]))
    event = outcome(emulator, sr_id)
    assert event.event_message.startswith(f"could not convert file_urls[0] ({url}): garbage.bin")
    assert "neither a PDF nor UTF-8 text" in event.event_message
    assert_file_error(emulator, receiver, sr_id, event.event_message)


def test_a_file_over_the_size_cap_is_a_file_error(files, receiver):
    settings = {**FAST, "name": "file-urls-small", "file_fetch_max_bytes": 1000}
    with Emulator(**settings, callback_url=receiver.url) as emulator:
        url = files.url("/nda-two-signers.pdf")
        sr_id = request_id(create(emulator, [url]))
        message = (
            f"could not download file_urls[0] ({url}): the file is {len(NDA)} bytes, "
            "more than the 1000-byte limit"
        )
        assert_file_error(emulator, receiver, sr_id, message)
        sr_id = request_id(create(emulator, [files.url("/chunked.pdf")]))
        assert "larger than the 1000-byte limit" in outcome(emulator, sr_id).event_message
        sr_id = request_id(create(emulator, [data_url(NDA)]))
        assert "more than the 1000-byte limit" in outcome(emulator, sr_id).event_message


def test_the_first_failing_url_by_position_names_the_error(emulator, files, receiver):
    urls = [files.url("/nda-two-signers.pdf"), files.url("/gone.pdf"), files.url("/garbage.bin")]
    sr_id = request_id(create(emulator, urls))
    message = f"could not download file_urls[1] ({urls[1]}): HTTP 404 Not Found"
    assert_file_error(emulator, receiver, sr_id, message)


# -- exactly one of files and file_urls ---------------------------------------------------------


def test_files_and_file_urls_together_are_a_bad_request(emulator, files):
    fields = {"client_id": emulator.client_id, "file_urls[0]": files.url("/nda-two-signers.pdf")}
    fields |= {"signers[0][name]": "Jack", "signers[0][email_address]": "jack@example.com"}
    answer = requests.post(
        f"{emulator.api_url}/signature_request/create_embedded",
        data=fields,
        files={"files[0]": ("nda.pdf", NDA, "application/pdf")},
        auth=auth(emulator),
        timeout=WAIT,
    )
    error = error_of(answer)
    assert error["error_name"] == "bad_request" and error["error_path"] == "file_urls"
    assert error["error_msg"] == "Specify files or file_urls, not both."
    assert files.requests == [] and emulator.emitted() == []


def test_neither_files_nor_file_urls_is_a_bad_request(emulator):
    body = json_body(emulator, [])
    answer = requests.post(
        f"{emulator.api_url}/signature_request/send", json=body, auth=auth(emulator), timeout=WAIT
    )
    error = error_of(answer)
    assert error["error_name"] == "bad_request" and error["error_path"] == "files"
    assert error["error_msg"] == "Must specify files or file_urls."


@pytest.mark.parametrize("bad", ["ftp://example.com/nda.pdf", "nda.pdf", "https:///nda.pdf", ""])
def test_a_file_url_that_is_not_an_http_or_data_url_is_a_bad_request(emulator, bad):
    body = json_body(emulator, [data_url(NDA), bad])
    answer = requests.post(
        f"{emulator.api_url}/signature_request/create_embedded",
        json=body,
        auth=auth(emulator),
        timeout=WAIT,
    )
    error = error_of(answer)
    assert error["error_name"] == "bad_request" and error["error_path"] == "file_urls[1]"
    assert error["error_msg"].startswith(f"Invalid url for file_urls[1] : {bad} ")


# -- reset, stop, layers, the SDK ---------------------------------------------------------------


def test_reset_during_a_download_forgets_it(emulator, files):
    create(emulator, [files.url("/slow.pdf?seconds=0.5")])
    deadline = time.monotonic() + WAIT
    while not files.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert emulator.fetcher.in_flight == 1
    emulator.reset()
    assert emulator.wait_idle(WAIT)
    time.sleep(0.7)  # past the server's answer: nothing may come of the abandoned download
    assert emulator.emitted() == []


def test_stopping_during_a_download_is_prompt(files):
    settings = {**FAST, "name": "file-urls-stop", "file_fetch_timeout": 30}
    with Emulator(**settings) as emulator:
        create(emulator, [files.url("/slow.pdf?seconds=30")])
        deadline = time.monotonic() + WAIT
        while not emulator.fetcher.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        assert emulator.fetcher.in_flight == 1
        started = time.monotonic()
        emulator.stop()
        assert time.monotonic() - started < 5
        assert emulator.fetcher.in_flight == 0 and emulator.clock.errors == []


def test_the_timeout_is_an_emulator_option_and_a_command_line_option():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["--file-fetch-timeout", "2.5"]).file_fetch_timeout == 2.5
    assert parser.parse_args([]).file_fetch_timeout == 10.0
    emulator = Emulator(**FAST, file_fetch_timeout=3, file_fetch_max_bytes=5000, start=False)
    assert (emulator.fetcher.timeout, emulator.fetcher.max_bytes) == (3.0, 5000)
    with pytest.raises(ValueError, match="file_fetch_timeout must be positive"):
        Emulator(**FAST, file_fetch_timeout=0, start=False)


def test_the_official_sdk_file_urls_parameter(emulator, files):
    client = ApiClient(Configuration(host=emulator.api_url, username=emulator.api_key))
    request = models.SignatureRequestCreateEmbeddedRequest(
        client_id=emulator.client_id,
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
    assert outcome(emulator, sr_id).event_type == "signature_request_sent"
    fetched = apis.SignatureRequestApi(client).signature_request_get(sr_id)
    statuses = {s.status_code for s in fetched.signature_request.signatures}
    assert fetched.signature_request.has_error is False and statuses == {"awaiting_signature"}
