"""hsnb.terminal: a command-line server's lines printed until a signal, then the old handlers."""

from __future__ import annotations

import os
import queue
import signal
import threading

from hsnb.terminal import drain, print_until_signal


def test_print_until_signal_puts_the_previous_handlers_back() -> None:
    import queue

    before = signal.getsignal(signal.SIGINT)
    lines: queue.Queue[str] = queue.Queue()
    pump = print_until_signal(lines)
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    pump()
    assert signal.getsignal(signal.SIGINT) is before


def test_drain_prints_what_is_left_in_order(capsys) -> None:
    lines: queue.Queue[str] = queue.Queue()
    for text in ("first", "second"):
        lines.put(text)
    drain(lines)
    assert capsys.readouterr().out == "first\nsecond\n"
    assert lines.empty()
