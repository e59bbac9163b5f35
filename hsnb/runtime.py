"""One background thread with its own asyncio loop per process, hosting hsnb's servers.

Inside a Jupyter kernel, cells run on the kernel's loop, and ipykernel 7 does not run background
tasks on that loop between cells; a server there would stall whenever a cell blocks. So every
hsnb server (listener, emulator) runs on this loop instead, in a daemon thread started lazily and
idempotently. Cells never block it and it never prints: Tornado's ``tornado.general`` warnings
raised on this thread (e.g. about a malformed multipart body, which the listener records as a
rejected delivery anyway) are dropped, since ipykernel would print them into whichever cell runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

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
