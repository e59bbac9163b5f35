"""Is a kernel still responsive while its listener takes callbacks?

A real Jupyter kernel starts an :class:`hsnb.Listener` on a store file (WAL,
``synchronous=FULL``); a trivial cell (``1``) is run again and again, and the time from the
execute request to its reply is the round trip a user feels. It is measured twice in one run:
with the listener idle (the baseline), then while ``benchmarks.pace`` sends it a steady stream
of signed callbacks from another process. Afterwards the kernel counts the events stored, which
must be at least the ACKs the sender got (it may hold a few more that were in flight).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.servers import KEY

_START = """
from hsnb.listener import Listener
listener = Listener("events.sqlite", api_keys={key!r}, name="benchmark")
"""
_WAIT = 60.0


@dataclass(frozen=True)
class KernelResult:
    """Round trips (ms) idle and under load, and what the sender and the store counted."""

    idle: list[float]
    loaded: list[float]
    sent: int
    acknowledged: int
    stored: int
    rate: float


def p(values: list[float], q: int) -> float:
    """The q-th percentile of ``values``."""
    return statistics.quantiles(values, n=100)[q - 1]


def _run(client: Any, code: str, value: str) -> str:
    """Execute ``code``; return the text of the expression ``value`` evaluated after it.

    The value comes back in the execute reply (``user_expressions``), not through the output
    channel, which is full of the round-trip cells' messages.
    """
    msg_id = client.execute(code, store_history=False, user_expressions={"value": value})
    while True:
        reply = client.get_shell_msg(timeout=_WAIT)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    content = reply["content"]
    result = content.get("user_expressions", {}).get("value", {})
    if content["status"] != "ok" or result.get("status") != "ok":
        raise RuntimeError(f"the benchmark cell failed: {content.get('evalue') or result}")
    return result["data"]["text/plain"]


def _round_trips(client: Any, until: Any, limit: int) -> list[float]:
    """Round trips (ms) of the cell ``1``, every 20 ms, while ``until()`` is false (bounded)."""
    times = []
    for _ in range(limit):
        if until():
            break
        started = time.perf_counter()
        msg_id = client.execute("1", store_history=False)
        while client.get_shell_msg(timeout=_WAIT)["parent_header"].get("msg_id") != msg_id:
            pass
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.02)
    return times


def measure(rate: float, seconds: float) -> KernelResult:
    """Round trips idle, then under ``rate`` callbacks/s for ``seconds``, in a new kernel."""
    from jupyter_client.manager import start_new_kernel

    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    with tempfile.TemporaryDirectory() as folder:
        manager, client = start_new_kernel(kernel_name="python3", cwd=folder)
        try:
            port = int(_run(client, _START.format(key=KEY), "listener.port"))
            idle = _round_trips(client, lambda: False, limit=int(seconds * 40))
            url = f"http://127.0.0.1:{port}/callback"
            pacer = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.pace", url, str(rate), str(seconds)],
                stdout=subprocess.PIPE,
                text=True,
            )
            time.sleep(0.3)  # the sender starts on the hour
            loaded = _round_trips(client, lambda: pacer.poll() is not None, int(seconds * 60))
            out, _ = pacer.communicate(timeout=_WAIT)
            counts = json.loads(out)
            stored = int(_run(client, "", "len(listener.store)"))
            _run(client, "listener.stop(); listener.store.close()", "0")
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    return KernelResult(
        idle, loaded, counts["sent"], counts["acknowledged"], stored, counts["rate"]
    )
