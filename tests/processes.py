"""Reading what a child process prints, with a bound on every wait (``hsnb listen``, ``hsnb
live``, ``hsnb emulator``, JupyterLab: the tests that run hsnb as a real process)."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def read_line(process: subprocess.Popen[str], timeout: float = 30.0, what: str = "") -> str:
    """The next line ``process`` prints (without its newline); kill it and fail the test when
    none comes within ``timeout`` seconds or the output ends."""
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not got or not got[0]:
        process.kill()
        pytest.fail(f"{what or 'the process'} printed nothing within {timeout:g} s")
    return got[0].rstrip("\n")


def line_queue(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """Every line ``process`` prints, as it prints them, on a queue (read by a daemon thread):
    ``lines.get(timeout=...)`` waits for the next one."""
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    return lines


def start_emulator(*options: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    """``python -m hsnb.emulator.command OPTIONS`` in a session of its own, and its lines."""
    process = subprocess.Popen(
        [sys.executable, "-m", "hsnb.emulator.command", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    return process, line_queue(process)


@contextmanager
def emulator_process(
    *options: str, timeout: float = 30.0
) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str]]]:
    """:func:`start_emulator` for a block; killed at its end if still running (``timeout``
    seconds to go)."""
    process, lines = start_emulator(*options)
    try:
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout)
