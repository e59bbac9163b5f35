"""Going live never acknowledges into memory: a SIGKILL mid-burst (``hsnb live``) or a kernel
restart (``hsnb.connect`` in a real Jupyter kernel) loses no acknowledged callback.

Dropbox Sign never resends an event it saw acknowledged, so "acknowledged" must mean "in a file".
The emulator plays Dropbox Sign's API in this process; a thread pool plays its callback POSTs.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from jupyter_client.manager import start_new_kernel

import hsnb.listener
from hsnb.emulator import DEFAULT_EPOCH, Emulator
from hsnb.errors import LiveSetupError, NotDurableWarning
from hsnb.events import ACK_TEXT
from hsnb.listener import Listener
from hsnb.live import NOT_DURABLE, connect
from hsnb.store import EventStore
from tests.conftest import KEY, post_multipart, sent_payload
from tests.processes import read_line as read_line_within

WAIT = 60.0
BURST = 3000  # callbacks offered; the process dies after a few hundred were acknowledged
KILL_AFTER = 200


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=5, api_key=KEY, start_time=DEFAULT_EPOCH, name="durability") as running:
        yield running


class Burst:
    """Signed callbacks POSTed from 8 threads; remembers which ids were acknowledged."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acknowledged: list[str] = []
        self.enough = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._ids: queue.Queue[str] = queue.Queue()
        for n in range(BURST):
            self._ids.put(f"{n:040x}")
        self._pool = ThreadPoolExecutor(8)
        self._workers = [self._pool.submit(self._work) for _ in range(8)]

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                request_id = self._ids.get_nowait()
            except queue.Empty:
                return
            try:
                answer = post_multipart(self.url, sent_payload(request_id))
            except requests.RequestException:
                continue  # the listener died: this one was not acknowledged
            if answer.status_code == 200 and answer.text == ACK_TEXT:
                with self._lock:
                    self.acknowledged.append(request_id)
                    if len(self.acknowledged) >= KILL_AFTER:
                        self.enough.set()

    def finish(self) -> list[str]:
        self._stop.set()
        for worker in self._workers:
            worker.result(WAIT)
        self._pool.shutdown()
        return list(self.acknowledged)


def stored_ids(path: Path) -> set[str]:
    store = EventStore(path, read_only=True)
    try:
        return {s.event.signature_request_id for s in store.stored_events()}
    finally:
        store.close()


# -- a real kernel -----------------------------------------------------------------------------

CONNECT = """
import hsnb
live = hsnb.connect(
    api_key={key!r}, base_url={api!r}, public_url="http://127.0.0.1:9/callback",
    allow_localhost=True,
)
print(live.listener.port, len(live.listener.store))
"""


def execute(client: Any, code: str) -> str:
    """Run ``code`` in the kernel; return what it printed (fails on an error)."""
    msg_id = client.execute(code)
    printed, deadline = [], time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            message = client.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            printed.append(content["text"])
        elif kind == "error":
            pytest.fail(f"the cell failed: {content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(printed)
    pytest.fail("the kernel did not finish the cell in time")


def test_a_kernel_restart_mid_burst_loses_no_acknowledged_callback(emulator, tmp_path) -> None:
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    code = CONNECT.format(key=KEY, api=emulator.api_url)
    try:
        port = int(execute(client, code).split()[0])
        burst = Burst(f"http://127.0.0.1:{port}/callback")
        assert burst.enough.wait(WAIT), "the listener in the kernel acknowledged too little"
        manager.restart_kernel(now=True)  # the kernel process is killed mid-burst
        acknowledged = burst.finish()
        client.wait_for_ready(timeout=WAIT)
        reopened = int(execute(client, code).split()[1])  # the new kernel, the same store
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert len(acknowledged) >= KILL_AFTER
    missing = set(acknowledged) - stored_ids(tmp_path / "hsnb-events.sqlite")
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged callbacks lost"
    assert reopened >= len(acknowledged)


# -- hsnb live ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_line(process: subprocess.Popen[str]) -> str:
    return read_line_within(process, WAIT, "hsnb live")


def test_hsnb_live_killed_mid_burst_loses_no_acknowledged_callback(emulator, tmp_path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DROPBOX_SIGN", "HSNB_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "hsnb.cli", "live", "--allow-localhost", "--port", str(port)]
        + ["--public-url", f"http://127.0.0.1:{port}", "--base-url", emulator.api_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,  # the default store, hsnb-events.sqlite, lands here
        env={**env, "PYTHONUNBUFFERED": "1", "DROPBOX_SIGN_API_KEY": KEY},
    )
    try:
        while not read_line(process).startswith("accepted 200 callback_test"):
            pass
        burst = Burst(f"http://127.0.0.1:{port}/callback")
        assert burst.enough.wait(WAIT), "hsnb live acknowledged too little"
        process.send_signal(signal.SIGKILL)
        process.wait(WAIT)
        acknowledged = burst.finish()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(WAIT)
    missing = set(acknowledged) - stored_ids(tmp_path / "hsnb-events.sqlite")
    assert len(acknowledged) >= KILL_AFTER
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged callbacks lost"


# -- what connect() and Listener() refuse or say -----------------------------------------------


def test_connect_refuses_an_in_memory_listener_for_the_real_api() -> None:
    with Listener(api_keys=KEY, name="durability-memory") as memory:
        with pytest.raises(LiveSetupError) as caught:
            connect(
                api_key=KEY,
                public_url="https://hooks.example.com/dropbox-sign",
                listener=memory,
                register=False,
                env={},
            )
    assert str(caught.value) == NOT_DURABLE


def test_connect_starts_its_listener_on_a_store_file(emulator, tmp_path) -> None:
    store = tmp_path / "live.sqlite"
    with connect(
        api_key=KEY,
        base_url=emulator.api_url,
        public_url="http://127.0.0.1:9/callback",
        allow_localhost=True,
        register=False,
        store=store,
    ) as session:
        assert not session.listener.store.in_memory
        assert post_multipart(session.listener.url, sent_payload()).text == ACK_TEXT
    assert stored_ids(store) == {"a" * 40}


@pytest.fixture
def warn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget that this process already warned (the warning is given once per process)."""
    monkeypatch.setattr(hsnb.listener, "_warned_not_durable", False)


def test_an_in_memory_listener_with_a_real_looking_key_warns_once(warn_again) -> None:
    real_looking = "3f" * 32
    with pytest.warns(NotDurableWarning, match="keeps events in memory"):
        Listener(api_keys=real_looking, name="durability-warn", start=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Listener(api_keys=real_looking, name="durability-warn", start=False)


def test_a_key_from_the_environment_counts_as_real(warn_again, monkeypatch) -> None:
    monkeypatch.setenv("DROPBOX_SIGN_API_KEY", "from-the-environment")
    with pytest.warns(NotDurableWarning):
        Listener(name="durability-warn", start=False)


def test_no_warning_for_a_store_file_a_demo_key_or_the_emulators_key(
    warn_again, emulator, tmp_path
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Listener(tmp_path / "e.sqlite", api_keys="3f" * 32, name="durability-warn", start=False)
        Listener(api_keys="demo-api-key", name="durability-warn", start=False)
        real_shape = Emulator(seed=1, name="durability-made-up")
        with real_shape:
            Listener(api_keys=real_shape.api_key, name="durability-warn", start=False)
