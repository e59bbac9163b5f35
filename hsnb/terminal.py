"""Command-line servers in a terminal: print queued lines until SIGINT or SIGTERM.

A server's hooks run on the background loop thread, where printing could interleave or block;
they put lines on a queue instead, and the main thread prints them with :func:`print_until_signal`
and, once the server stopped, :func:`drain`.

What a line shows comes from whoever sent the request, so it is escaped first
(:func:`printable`): an ANSI escape in an ``event_type`` must not recolour or rewrite the
terminal, and a line the terminal's encoding cannot show is printed with escapes rather than
ending the server.
"""

from __future__ import annotations

import queue
import signal
import sys
import threading
import unicodedata
from collections.abc import Callable

#: Unicode categories shown as escapes: controls, format characters (e.g. bidi overrides),
#: surrogates, unassigned, private use, and line/paragraph separators.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Co", "Zl", "Zp"})


def printable(text: str) -> str:
    """``text`` with every character a terminal would act on shown as a Python escape.

    >>> printable("signature_request_sent")
    'signature_request_sent'
    >>> printable("\\x1b[31mred\\u202e \\ud800")
    '\\\\x1b[31mred\\\\u202e \\\\ud800'
    """
    if text.isascii() and text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in _ESCAPED_CATEGORIES
        else ch
        for ch in text
    )


def print_line(line: str) -> None:
    """Print one line, escaped, flushed; characters stdout cannot encode become escapes."""
    text = printable(line)
    try:
        print(text, flush=True)
    except UnicodeEncodeError:
        encoding = sys.stdout.encoding or "ascii"
        print(text.encode(encoding, "backslashreplace").decode(encoding), flush=True)


def print_until_signal(lines: queue.Queue[str]) -> Callable[[], None]:
    """For command-line servers: install SIGINT/SIGTERM handlers; return a pump function.

    The pump prints each line put on ``lines`` (escaped, flushed) until a signal arrives, then
    puts the previous handlers back. Call it from the main thread; then stop the server and
    call :func:`drain` to print what is left.
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
                    print_line(lines.get(timeout=0.2))
                except queue.Empty:
                    continue
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    return pump


def drain(lines: queue.Queue[str]) -> None:
    """Print whatever is still queued (escaped)."""
    while not lines.empty():
        print_line(lines.get_nowait())
