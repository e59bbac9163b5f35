"""Reading what a child process prints, with a bound on every wait (``hsnb listen``, ``hsnb
live``, ``hsnb emulator``, JupyterLab: the tests that run hsnb as a real process)."""

from __future__ import annotations

import queue
import subprocess
import threading

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
