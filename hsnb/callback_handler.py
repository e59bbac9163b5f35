"""The listener's Tornado handler: read a body up to the cap, have it judged and stored, write
the answer (the listener's own, or one a script or a relayed handler chose:
:mod:`hsnb.answering`). One handler serves every path and method.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import tornado.web
from tornado.httputil import HTTPServerRequest
from tornado.ioloop import IOLoop

from hsnb.answering import Answerer
from hsnb.answers import AnswerScript
from hsnb.receiver import Answer, CallbackReceiver
from hsnb.records import RequestInfo
from hsnb.subscribers import Subscribers


def request_info(request: HTTPServerRequest, body: bytes, body_size: int) -> RequestInfo:
    """A :class:`RequestInfo` from a Tornado request and the (possibly capped) body read.

    A header sent more than once is kept once, its values joined with ", " (as HTTP allows).
    """
    headers: dict[str, str] = {}
    for name, value in request.headers.get_all():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return RequestInfo(
        method=request.method or "",
        path=request.path,
        headers=headers,
        body=body,
        remote_ip=request.remote_ip,
        body_size=body_size,
    )


@tornado.web.stream_request_body
class CallbackHandler(tornado.web.RequestHandler):
    """Reads a body up to the cap, hands it to the receiver, writes the receiver's answer."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    def initialize(
        self,
        receiver: CallbackReceiver,
        subscribers: Subscribers,
        body_timeout: float | None,
        answerer: Answerer,
    ) -> None:
        self.receiver = receiver
        self.subscribers = subscribers
        self.answerer = answerer
        self.body_timeout = body_timeout
        self.chunks: list[bytes] = []
        self.size = 0
        self._deadline: object | None = None

    def prepare(self) -> Awaitable[None] | None:
        declared = self.request.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.receiver.max_body_bytes:
            self.size = int(declared)
            return self.respond()  # refused before the body is read
        if self.body_timeout is not None:
            # one timer per request: cheaper than Tornado's body_timeout, which wraps each read
            loop = IOLoop.current()
            self._deadline = loop.call_later(self.body_timeout, self._body_too_slow)
        return None

    def _body_too_slow(self) -> None:
        """The body did not arrive in time: drop the connection, without an answer."""
        self.request.connection.close()  # type: ignore[union-attr]

    def data_received(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size <= self.receiver.max_body_bytes:
            self.chunks.append(chunk)

    async def respond(self) -> None:
        """Judge the request, await its commit, and write the answer (plain text)."""
        if self._deadline is not None:
            IOLoop.current().remove_timeout(self._deadline)
        if self._finished:
            return
        body = b"".join(self.chunks) if self.size <= self.receiver.max_body_bytes else b""
        write = self.receiver.judge(request_info(self.request, body, self.size))
        key = write.event.identity if write.event is not None else None
        self.subscribers.expect(key)
        try:
            if key is not None and self.answerer.active:  # a script or a relay answers
                answer = await self.answerer.answer(write)
            else:
                answer = await self.receiver.answer(write)
            self.subscribers.call(answer)
        finally:
            self.subscribers.settle(key)
        if answer.scripted is not None or answer.forwarded is not None:
            await self._answer_instead(answer)
            return
        self.set_status(answer.status)
        if answer.status == 405:
            self.set_header("Allow", "POST")
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(answer.text)

    async def _answer_instead(self, answer: Answer) -> None:
        """Send an answer a script or a handler chose: maybe later, maybe none at all."""
        if answer.delay:
            await asyncio.sleep(answer.delay)  # the loop serves others meanwhile
        if answer.dropped:
            self.detach().close()
            return
        stream = getattr(self.request.connection, "stream", None)
        if stream is not None and stream.closed():
            return  # the sender gave up meanwhile (its timeout): nobody to answer
        self.set_status(answer.status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        for name, value in answer.headers:
            if name.lower() == "set-cookie":
                self.add_header(name, value)
            else:
                self.set_header(name, value)
        self.finish(answer.body if answer.body is not None else answer.text)

    get = head = post = put = patch = delete = options = respond  # type: ignore[assignment]


def make_app(
    receiver: CallbackReceiver,
    subscribers: Subscribers,
    body_timeout: float | None = None,
    answerer: Answerer | None = None,
) -> tornado.web.Application:
    """The listener's Tornado application: one handler for every path and method.

    ``body_timeout``: seconds from the end of a request's headers to the end of its body.
    ``answerer``: scripted answers and a relay (default: none, the listener answers itself).
    """
    handler_args = {
        "receiver": receiver,
        "subscribers": subscribers,
        "body_timeout": body_timeout,
        "answerer": answerer or Answerer(receiver, AnswerScript()),
    }
    return tornado.web.Application(
        [(r".*", CallbackHandler, handler_args)], log_function=lambda handler: None
    )
