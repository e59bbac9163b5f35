"""A scripted callback receiver for the tests: real HTTP on 127.0.0.1, on hsnb's loop."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

from hsnb.events import ACK_TEXT
from hsnb.runtime import background_loop


@dataclass
class Received:
    """One POST the receiver got."""

    payload: dict[str, Any]
    content_type: str
    headers: dict[str, str] = field(repr=False)
    at: float = 0.0

    @property
    def event_type(self) -> str:
        """The event's type."""
        return self.payload["event"]["event_type"]


class _Handler(tornado.web.RequestHandler):
    def initialize(self, receiver: Receiver) -> None:
        self.receiver = receiver

    async def post(self) -> None:
        self.receiver.received.append(
            Received(
                json.loads(self.get_body_argument("json")),
                self.request.headers.get("Content-Type", ""),
                dict(self.request.headers),
                time.monotonic(),
            )
        )
        status, body, delay = self.receiver.next_answer()
        if delay:
            await asyncio.sleep(delay)
        self.set_status(status)
        self.set_header("Content-Type", "text/plain")
        self.finish(body)


class Receiver:
    """Answers POSTs from a script of ``(status, body, delay)`` and then with the ACK."""

    def __init__(self, script: list[tuple[int, str, float]] | None = None) -> None:
        self.script = list(script or [])
        self.received: list[Received] = []
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/callback"

        async def serve() -> tornado.httpserver.HTTPServer:
            app = tornado.web.Application(
                [(r".*", _Handler, {"receiver": self})], log_function=lambda h: None
            )
            server = tornado.httpserver.HTTPServer(app)
            server.add_sockets(sockets)
            return server

        self._server = background_loop().run(serve())

    def next_answer(self) -> tuple[int, str, float]:
        """The next scripted answer, or 200 with the ACK text."""
        return self.script.pop(0) if self.script else (200, ACK_TEXT, 0.0)

    def types(self) -> list[str]:
        """Event types received, in arrival order."""
        return [r.event_type for r in self.received]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until ``count`` POSTs arrived (raises ``TimeoutError``)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.received)} of {count} callbacks: {self.types()}")
            time.sleep(0.005)
        return self.received

    def stop(self) -> None:
        """Stop serving."""

        async def shutdown() -> None:
            self._server.stop()
            await self._server.close_all_connections()

        background_loop().run(shutdown())
