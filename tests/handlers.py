"""A callback handler for tests of the relay: answers from a script, records what it got."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import requests
import tornado.web

from hsnb.events import ACK_TEXT
from hsnb.payloads import encode_callback_multipart
from tests.conftest import sent_payload


@dataclass
class Reply:
    """One scripted answer of :class:`Handler`."""

    status: int = 200
    body: bytes | str = ACK_TEXT
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    """What the handler got."""

    headers: dict[str, str]
    body: bytes


class Handler(tornado.web.RequestHandler):
    """A callback handler that answers from a script, then with the ACK."""

    def initialize(self, replies: list[Reply], seen: list[Seen]) -> None:
        self.replies, self.seen = replies, seen

    async def post(self) -> None:
        self.seen.append(Seen(dict(self.request.headers), self.request.body))
        reply = self.replies.pop(0) if self.replies else Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        self.set_status(reply.status)
        self.set_header("Content-Type", "text/plain")
        for name, value in reply.headers.items():
            self.set_header(name, value)
        self.finish(reply.body)


def send(url: str, payload: dict | None = None, **headers: str) -> requests.Response:
    body, content_type = encode_callback_multipart(payload or sent_payload())
    return requests.post(
        url,
        data=body,
        headers={"Content-Type": content_type, **headers},
        timeout=10,
        allow_redirects=False,
    )
