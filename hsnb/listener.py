"""The callback listener: a Tornado server in hsnb's background loop thread.

It serves between cells and while a cell blocks, because it does not run on the kernel's loop
(see :mod:`hsnb.runtime`). Each request is judged by :class:`hsnb.receiver.CallbackReceiver`:
stored, committed, and only then acknowledged with ``200 Hello API Event Received``.

>>> from hsnb.listener import Listener
>>> with Listener(name="doctest") as listener:
...     listener.url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import tornado.httpserver
import tornado.web
from tornado.httputil import HTTPServerRequest

from hsnb import environment
from hsnb.errors import EventTimeoutError, ListenerError
from hsnb.events import Event
from hsnb.frames import deliveries_frame, events_frame
from hsnb.receiver import DEFAULT_MAX_BODY_BYTES, Answer, CallbackReceiver
from hsnb.runtime import ManagedServer, Registry
from hsnb.store import EventStore, RequestInfo

logger = logging.getLogger(__name__)

#: The path shown in :attr:`Listener.url`; the listener accepts callbacks on any path.
CALLBACK_PATH = "/callback"
_POLL_SECONDS = 0.2

DeliveryHook = Callable[[Answer], None]


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

    def initialize(self, receiver: CallbackReceiver, hooks: list[DeliveryHook]) -> None:
        self.receiver = receiver
        self.hooks = hooks
        self.chunks: list[bytes] = []
        self.size = 0

    def prepare(self) -> None:
        declared = self.request.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.receiver.max_body_bytes:
            self.size = int(declared)
            self.respond()

    def data_received(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size <= self.receiver.max_body_bytes:
            self.chunks.append(chunk)

    def respond(self) -> None:
        """Judge the request and write the answer (plain text)."""
        if self._finished:
            return
        body = b"".join(self.chunks) if self.size <= self.receiver.max_body_bytes else b""
        answer = self.receiver.receive(request_info(self.request, body, self.size))
        for hook in tuple(self.hooks):  # a hook may remove itself (or another) meanwhile
            try:
                hook(answer)
            except Exception:  # a subscriber's bug must not break the listener
                logger.exception("delivery hook failed")
        self.set_status(answer.status)
        if answer.status == 405:
            self.set_header("Allow", "POST")
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(answer.text)

    get = head = post = put = patch = delete = options = respond  # type: ignore[assignment]


def make_app(receiver: CallbackReceiver, hooks: list[DeliveryHook]) -> tornado.web.Application:
    """The listener's Tornado application: one handler for every path and method."""
    return tornado.web.Application(
        [(r".*", CallbackHandler, {"receiver": receiver, "hooks": hooks})],
        log_function=lambda handler: None,
    )


class Listener(ManagedServer):
    """Receive Dropbox Sign callbacks in the background; read them back as DataFrames.

    ``store`` is an :class:`EventStore`, a path to one (reopening it keeps what it had), or
    ``None`` for an in-memory store. ``api_keys`` (a key or several; default: the key in
    ``DROPBOX_SIGN_API_KEY`` or ``HSNB_API_KEY``, if set, see :mod:`hsnb.environment`) turn on
    ``event_hash`` verification; ``[]`` turns it off.
    Starting a listener with the ``name`` of a running one stops that one first, so re-running a
    cell never fails with "address already in use".
    """

    error_class = ListenerError

    def __init__(
        self,
        store: EventStore | str | Path | None = None,
        *,
        api_keys: str | Iterable[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "default",
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        tolerance: float | None = None,
        start: bool = True,
    ) -> None:
        if api_keys is None:
            env_key = environment.api_key()
            api_keys = [env_key] if env_key else []
        elif isinstance(api_keys, str):
            api_keys = [api_keys]
        self.store = store if isinstance(store, EventStore) else EventStore(store or ":memory:")
        self.receiver = CallbackReceiver(
            self.store, api_keys=api_keys, max_body_bytes=max_body_bytes, tolerance=tolerance
        )
        self._init_server(name, host, port)
        self._hooks: list[DeliveryHook] = []
        if start:
            self.start()

    def __repr__(self) -> str:
        state = f"url={self.url!r}" if self.running else "stopped"
        keys = len(self.receiver.api_keys)
        return f"<Listener {self.name!r} {state} events={len(self.store)} verify_keys={keys}>"

    @property
    def url(self) -> str:
        """The full callback URL to give Dropbox Sign (or the emulator)."""
        return self.origin + CALLBACK_PATH

    def _make_app(self) -> tornado.web.Application:
        return make_app(self.receiver, self._hooks)

    def on_delivery(self, hook: DeliveryHook) -> Callable[[], None]:
        """Call ``hook(answer)`` on the loop thread for each request, after it was recorded.

        Keep it quick and thread-safe (e.g. put the answer on a queue); do not print from it.
        Returns a function that removes the hook again.
        """
        self._hooks.append(hook)

        def remove() -> None:
            if hook in self._hooks:
                self._hooks.remove(hook)

        return remove

    def events(self) -> pd.DataFrame:
        """One row per logical event received (retries collapsed), in arrival order."""
        return events_frame(self.store.event_rows())

    def deliveries(self) -> pd.DataFrame:
        """One row per HTTP request received, with status, verdict and reason."""
        return deliveries_frame(self.store.delivery_rows())

    def wait_for(
        self,
        event_type: str | Iterable[str],
        *,
        signature_request_id: str | None = None,
        timeout: float = 30.0,
    ) -> Event:
        """Block until an event of ``event_type`` (for that request, if given) is stored.

        ``event_type`` may be several types: the first of any of them is returned, e.g.
        ``wait_for(["signature_request_sent", "file_error"], ...)`` answers "may I open a sign
        URL now, or did processing fail?" in one call.
        Returns at once when one already arrived, the first one in arrival order. Raises
        :class:`~hsnb.errors.EventTimeoutError` (a ``TimeoutError``) naming what did arrive
        (in ``event_time`` order).
        """
        if not isinstance(event_type, str):
            event_type = tuple(event_type)
            if not event_type:
                raise ValueError("wait_for needs at least one event type")
        deadline = time.monotonic() + timeout
        while True:
            found = self.store.stored_events(event_type, signature_request_id=signature_request_id)
            if found:
                return found[0].event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                message = self._timeout_message(event_type, signature_request_id, timeout)
                raise EventTimeoutError(message)
            self.store.wait_for_change(min(remaining, _POLL_SECONDS))

    async def wait_for_async(
        self,
        event_type: str | Iterable[str],
        *,
        signature_request_id: str | None = None,
        timeout: float = 30.0,
    ) -> Event:
        """The awaitable twin of :meth:`wait_for` (for ``await`` in a cell or a coroutine)."""
        return await asyncio.to_thread(
            self.wait_for, event_type, signature_request_id=signature_request_id, timeout=timeout
        )

    def _timeout_message(
        self, event_type: str | tuple[str, ...], request_id: str | None, timeout: float
    ) -> str:
        wanted = event_type if isinstance(event_type, str) else " or ".join(event_type)
        scope = f" for signature request {request_id}" if request_id else ""
        stored = self.store.stored_events(signature_request_id=request_id)
        arrived = [e.event_type for e in sorted((s.event for s in stored), key=_by_time)]
        seen = ", ".join(arrived) if arrived else "nothing"
        return f"no {wanted}{scope} within {timeout:g} s; arrived meanwhile: {seen}"


Listener.registry = Registry()


def running_listeners() -> list[Listener]:
    """The listeners serving in this process."""
    return Listener.registry.running()


def _by_time(event: Event) -> tuple[int, str]:
    return event.event_timestamp, event.event_type
