"""How a server runs inside a kernel: one background loop per process, and the servers on it.

Inside a Jupyter kernel, cells run on the kernel's loop, and ipykernel 7 does not run background
tasks on that loop between cells; a server there would stall whenever a cell blocks. So every
hsnb server (listener, emulator) runs on this loop instead, in a daemon thread started lazily and
idempotently. Cells never block it and it never prints: Tornado's ``tornado.general`` warnings
raised on this thread (e.g. about a malformed multipart body, which the listener records as a
rejected delivery anyway) are dropped, since ipykernel would print them into whichever cell runs.

A notebook cell that starts a server is often run again. Servers (:class:`ManagedServer`)
therefore have a *name*: a new server with the name of a running one stops that one first
(and one on the same fixed port), so re-running a cell never fails with "address already in
use". Ports are bound with ``tornado.netutil.bind_sockets`` (``SO_REUSEADDR``, never
``reuse_port``), port 0 by default.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any, Generic, Protocol, TypeVar

import tornado.httpserver
import tornado.netutil
import tornado.web

T = TypeVar("T")

_DEFAULT_TIMEOUT = 30.0


class BackgroundLoop:
    """An asyncio loop running forever in a daemon thread.

    >>> loop = BackgroundLoop("doc")
    >>> async def answer():
    ...     return 42
    >>> loop.run(answer())
    42
    >>> loop.stop()
    """

    def __init__(self, name: str = "hsnb-loop") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop, started on first use."""
        self.start()
        assert self._loop is not None
        return self._loop

    @property
    def is_running(self) -> bool:
        """Whether the loop thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def in_loop_thread(self) -> bool:
        """Whether the caller runs on this loop's thread."""
        return self._thread is not None and threading.current_thread() is self._thread

    def start(self) -> None:
        """Start the thread and its loop unless they already run (idempotent, thread-safe)."""
        with self._lock:
            if self.is_running:
                return
            ready = threading.Event()
            loop = asyncio.new_event_loop()

            def run_forever() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                try:
                    loop.run_forever()
                finally:
                    loop.close()

            thread = threading.Thread(target=run_forever, name=self.name, daemon=True)
            thread.start()
            ready.wait()
            self._loop, self._thread = loop, thread
            logging.getLogger("tornado.general").addFilter(_SilenceThread(thread))

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule ``coro`` on the loop and return a concurrent future for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = _DEFAULT_TIMEOUT) -> T:
        """Run ``coro`` on the loop and wait for its result (raises what it raises).

        Must not be called from the loop thread itself (it would wait for itself).
        """
        if self.in_loop_thread():
            coro.close()
            raise RuntimeError("BackgroundLoop.run called from its own thread")
        return self.submit(coro).result(timeout)

    def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = _DEFAULT_TIMEOUT) -> T:
        """Call a plain function on the loop thread and return its result."""
        if self.in_loop_thread():
            return fn(*args)

        async def invoke() -> T:
            return fn(*args)

        return self.run(invoke(), timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop and join its thread; a later use starts a fresh one."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if threading.current_thread() is not thread:
            thread.join(timeout)


class _SilenceThread(logging.Filter):
    """Drops log records emitted on one thread."""

    def __init__(self, thread: threading.Thread) -> None:
        super().__init__()
        self.thread = thread

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.thread.ident


_shared: BackgroundLoop | None = None
_shared_pid: int | None = None
_shared_lock = threading.Lock()


def background_loop() -> BackgroundLoop:
    """The process-wide loop that hosts every hsnb server (a fresh one after ``fork``)."""
    global _shared, _shared_pid
    with _shared_lock:
        if _shared is None or _shared_pid != os.getpid():
            _shared, _shared_pid = BackgroundLoop(), os.getpid()
    _shared.start()
    return _shared


# -- servers on the loop ---------------------------------------------------------------------------


class Stoppable(Protocol):
    """A server that has a name, a host, a port while running, and can stop."""

    name: str
    host: str
    port: int | None

    def stop(self) -> None:
        """Stop serving and free the port."""


S = TypeVar("S", bound=Stoppable)


class Registry(Generic[S]):
    """The running servers of one kind, by name."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._by_name: dict[str, S] = {}

    def make_room(self, server: S, port: int) -> None:
        """Stop the server of the same name, and any holding the same fixed port."""
        with self.lock:
            previous = self._by_name.get(server.name)
            if previous is not None and previous is not server:
                previous.stop()
            for other in list(self._by_name.values()):
                if other is not server and port and (other.host, other.port) == (server.host, port):
                    other.stop()

    def add(self, server: S) -> None:
        """Record a server that now runs."""
        with self.lock:
            self._by_name[server.name] = server

    def remove(self, server: S) -> None:
        """Forget a server that stopped (if it is still the one under its name)."""
        with self.lock:
            if self._by_name.get(server.name) is server:
                del self._by_name[server.name]

    def running(self) -> list[S]:
        """The servers running now."""
        with self.lock:
            return list(self._by_name.values())


def bind(host: str, port: int) -> tuple[list[socket.socket], int]:
    """Bind listening sockets on ``host:port`` (0: a free port); return them and the port.

    Raises ``OSError`` from the system (e.g. the port is taken by another program).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets = tornado.netutil.bind_sockets(port, host, family=family)
    return sockets, sockets[0].getsockname()[1]


def http_url(host: str, port: int) -> str:
    """``http://host:port`` with IPv6 hosts bracketed."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(
    make_server: Callable[[], tornado.httpserver.HTTPServer],
    sockets: list[socket.socket],
    *,
    before: Callable[[], None] | None = None,
) -> tornado.httpserver.HTTPServer:
    """Serve the server built by ``make_server`` on ``sockets`` in the background loop thread.

    ``before`` runs on the loop thread first (e.g. to attach a clock to the running loop).
    """

    async def start() -> tornado.httpserver.HTTPServer:
        if before is not None:
            before()
        server = make_server()
        server.add_sockets(sockets)
        return server

    return background_loop().run(start())


def shut_down(
    server: tornado.httpserver.HTTPServer,
    cleanup: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Stop accepting, run ``cleanup`` on the loop, close open connections (5 s at most)."""

    async def shutdown() -> None:
        server.stop()
        await _finish_shutdown(server, cleanup)

    background_loop().run(shutdown())


async def _finish_shutdown(
    server: tornado.httpserver.HTTPServer, cleanup: Callable[[], Awaitable[None]] | None
) -> None:
    if cleanup is not None:
        await cleanup()
    await asyncio.wait_for(server.close_all_connections(), 5)


class ManagedServer:
    """Base of hsnb's servers: serve on the background loop, replaced by name, context manager.

    A subclass sets ``registry`` (its own :class:`Registry`) and ``error_class``, calls
    :meth:`_init_server` from ``__init__``, and builds its app in :meth:`_make_app`. Optional
    hooks: :meth:`_make_server` (the HTTP server around the app), :meth:`_after_bind` (the port
    is known), :meth:`_on_loop_start` (on the loop thread, before serving) and :meth:`_cleanup`
    (a coroutine run on the loop while stopping).
    """

    registry: Registry[Any]
    error_class: type[Exception] = OSError
    max_body_size: int = 64 * 2**20

    def _init_server(self, name: str, host: str, port: int) -> None:
        self.name = name
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self._server: tornado.httpserver.HTTPServer | None = None

    def _make_app(self) -> tornado.web.Application:
        raise NotImplementedError

    def _make_server(self) -> tornado.httpserver.HTTPServer:
        """The HTTP server around :meth:`_make_app`'s app (called on the loop thread)."""
        return tornado.httpserver.HTTPServer(self._make_app(), max_body_size=self.max_body_size)

    def _after_bind(self) -> None:
        """Called once the port is known, before serving."""

    def _on_loop_start(self) -> None:
        """Called on the loop thread just before serving."""

    async def _cleanup(self) -> None:
        """Awaited on the loop thread while stopping, before connections are closed."""

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server accepts connections."""
        return self._server is not None

    @property
    def origin(self) -> str:
        """``http://host:port`` while running; raises ``error_class`` when stopped."""
        if self.port is None:
            raise self.error_class(f"the {type(self).__name__.lower()} is not running")
        return http_url(self.host, self.port)

    def start(self) -> Any:
        """Bind and serve (idempotent); stops a running server of the same name (or fixed port)."""
        if self.running:
            return self
        with self.registry.lock:
            self.registry.make_room(self, self.requested_port)
            try:
                sockets, self.port = bind(self.host, self.requested_port)
            except OSError as exc:
                raise self.error_class(
                    f"cannot listen on {self.host}:{self.requested_port}: {exc.strerror}"
                ) from exc
            self._after_bind()
            self._server = serve(self._make_server, sockets, before=self._on_loop_start)
            self.registry.add(self)
        return self

    def stop(self) -> None:
        """Stop serving and free the port (idempotent; also safe from the loop thread itself,
        e.g. from a delivery hook, where the rest of the shutdown then runs as a task)."""
        server, self._server = self._server, None
        if server is None:
            return
        loop = background_loop()
        try:
            if loop.in_loop_thread():
                server.stop()  # the listening sockets close now
                loop.loop.create_task(_finish_shutdown(server, self._cleanup))
            else:
                shut_down(server, self._cleanup)
        finally:
            self.port = None
            self.registry.remove(self)


class ServedApp:
    """A Tornado application served on 127.0.0.1 (a free port) on hsnb's background loop.

    ``rules`` are Tornado's ``(pattern, handler, kwargs)`` routes, or a whole application.
    Use it as a context manager, or call :meth:`stop`.
    """

    def __init__(self, rules: list[Any] | tornado.web.Application) -> None:
        app = (
            rules
            if isinstance(rules, tornado.web.Application)
            else tornado.web.Application(rules, log_function=lambda handler: None)
        )
        sockets, self.port = bind("127.0.0.1", 0)
        self.origin = http_url("127.0.0.1", self.port)
        self._server: tornado.httpserver.HTTPServer | None = serve(
            lambda: tornado.httpserver.HTTPServer(app, max_body_size=64 * 2**20), sockets
        )

    def url(self, path: str = "/") -> str:
        """The full URL of ``path`` on this server."""
        return self.origin + path

    def stop(self) -> None:
        """Stop serving and drop open connections (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            shut_down(server)

    def __enter__(self) -> ServedApp:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_app(rules: list[Any] | tornado.web.Application) -> ServedApp:
    """Serve ``rules`` (or an application) on a free 127.0.0.1 port; see :class:`ServedApp`."""
    return ServedApp(rules)
