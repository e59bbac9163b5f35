"""LiveEvents in a real kernel: updates made on the listener's thread reach the frontend.

A real ipykernel runs two cells: one shows the widget, the next has a separate process POST a
callback while the cell sleeps. The test reads the kernel's IOPub channel the way JupyterLab
does (comm messages are routed by comm id, whatever cell they came during) and checks that the
widget's model received the update.
"""

from __future__ import annotations

import os
import queue
import time
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel

from tests.conftest import ROOT

SHOW = """
from hsnb.listener import Listener
from hsnb.widgets import LiveEvents
listener = Listener(api_keys="widget-key", name="widget-test")
live = LiveEvents(listener, max_rows=5)
display(live)
"""
POST_WHILE_BUSY = """
import subprocess, sys, time
sender = subprocess.Popen(
    [sys.executable, "-m", "hsnb.cli", "trigger", "signature_request_viewed",
     "--url", listener.url, "--api-key", "widget-key", "--event-time", "1767225600"],
    stdout=subprocess.DEVNULL,
)
time.sleep(1.5)  # busy: the hook runs on the listener's thread meanwhile
sender.wait(60)
print(repr(live))
live.close(); listener.stop()
"""


def run(client: Any, code: str, timeout: float = 60) -> list[dict[str, Any]]:
    """Execute ``code``; return every IOPub message until this request goes idle."""
    msg_id = client.execute(code)
    messages, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = client.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        messages.append(message)
        idle = message["msg_type"] == "status" and message["content"]["execution_state"] == "idle"
        if idle and message["parent_header"].get("msg_id") == msg_id:
            return messages
    pytest.fail("the kernel did not finish the cell in time")


def test_live_view_updates_reach_the_frontend_from_the_listener_thread() -> None:
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(ROOT))
    try:
        shown = run(client, SHOW)
        opened = [m for m in shown if m["msg_type"] == "comm_open"]
        html_comm = next(
            m["content"]["comm_id"]
            for m in opened
            if m["content"]["data"]["state"].get("_model_name") == "HTMLModel"
        )
        busy = run(client, POST_WHILE_BUSY)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    updates = [
        m["content"]["data"]["state"]["value"]
        for m in busy
        if m["msg_type"] == "comm_msg"
        and m["content"]["comm_id"] == html_comm
        and "value" in m["content"]["data"].get("state", {})
    ]
    assert any("LiveEvents: 1 events, 1 deliveries" in value for value in updates)
    assert any("signature_request_viewed" in value for value in updates)
    printed = "".join(m["content"]["text"] for m in busy if m["msg_type"] == "stream")
    assert printed.strip() == "LiveEvents: 1 events, 1 deliveries (0 duplicate, 0 refused)"
