"""The integration's callback handler: a plain WSGI app (a Flask view would read the same
``request.form["json"]``), as Dropbox Sign's documentation asks:

* verify ``event_hash`` with the official SDK's ``EventCallbackHelper``, refuse a forgery;
* remember each event once (retries and duplicates arrive; Dropbox Sign sends no event id);
* when the final copy is ready (``signature_request_downloadable`` of a complete request),
  download it with the SDK;
* answer ``200 Hello API Event Received``, or the delivery is retried.
"""

from __future__ import annotations

import json
import os
import threading
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import contracts
from dropbox_sign import EventCallbackHelper
from dropbox_sign.models import EventCallbackRequest

ACK = b"Hello API Event Received"


def json_field(content_type: str, body: bytes) -> str | None:
    """The ``json`` form field of a multipart or urlencoded body."""
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "json":
                return part.get_content()
        return None
    values = parse_qs(body.decode("utf-8", "replace")).get("json")
    return values[0] if values else None


class CallbackApp:
    """The WSGI app; signed PDFs go to ``folder``; ``events`` lists what was accepted."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.events: list[dict[str, Any]] = []
        self.seen: set[tuple[Any, ...]] = set()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["REQUEST_METHOD"] != "POST":
            return self.answer(start_response, "405 Method Not Allowed", b"POST only")
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size)
        text = json_field(environ.get("CONTENT_TYPE", ""), body)
        if text is None:
            return self.answer(start_response, "400 Bad Request", b"no json field")
        payload = json.loads(text)
        callback = EventCallbackRequest.init(payload)
        if not EventCallbackHelper.is_valid(os.environ["DROPBOX_SIGN_API_KEY"], callback):
            return self.answer(start_response, "401 Unauthorized", b"bad event_hash")
        self.handle(payload)
        return self.answer(start_response, "200 OK", ACK)

    def handle(self, payload: dict[str, Any]) -> None:
        """Remember the event once; fetch the final PDF when it is ready."""
        event = payload["event"]
        request = payload.get("signature_request") or {}
        metadata = event.get("event_metadata") or {}
        key = (
            event["event_type"],
            event["event_time"],
            request.get("signature_request_id"),
            metadata.get("related_signature_id"),
        )
        with self.lock:
            if key in self.seen:
                return
            self.seen.add(key)
            self.events.append(payload)
        if event["event_type"] == "signature_request_downloadable" and request.get("is_complete"):
            contracts.download_signed(request["signature_request_id"], self.folder)

    @staticmethod
    def answer(start_response: Any, status: str, body: bytes) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain")])
        return [body]
