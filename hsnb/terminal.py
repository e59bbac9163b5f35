"""Command-line servers in a terminal: print queued lines until SIGINT or SIGTERM.

A server's hooks run on the background loop thread, where printing could interleave or block;
they put lines on a queue instead, and the main thread prints them with :func:`print_until_signal`
and, once the server stopped, :func:`drain`.
"""

from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Callable


def print_until_signal(lines: queue.Queue[str]) -> Callable[[], None]:
    """For command-line servers: install SIGINT/SIGTERM handlers; return a pump function.

    The pump prints each line put on ``lines`` (flushed) until a signal arrives, then puts the
    previous handlers back. Call it from the main thread; then stop the server and call
    :func:`drain` to print what is left.
    """
    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }

    def pump() -> None:
        try:
            while not stop.is_set():
                try:
                    print(lines.get(timeout=0.2), flush=True)
                except queue.Empty:
                    continue
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    return pump


def drain(lines: queue.Queue[str]) -> None:
    """Print whatever is still queued."""
    while not lines.empty():
        print(lines.get_nowait(), flush=True)
