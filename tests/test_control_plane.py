"""The simulation's signers post to the control plane over one kept-alive connection: real HTTP
on 127.0.0.1, a server that closes the connection between requests, and a real emulator."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hsnb.emulator import Emulator
from hsnb.simulation.control_plane import ControlPlane
from hsnb.testing import FAST


class _Forgetful(BaseHTTPRequestHandler):
    """Answers 200 with keep-alive, then closes the connection without saying so."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, dict]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.seen.append((self.path, json.loads(self.rfile.read(length))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.close_connection = True  # a server that drops idle connections

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def forgetful() -> Iterator[str]:
    _Forgetful.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Forgetful)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_connection_the_server_closed_is_opened_again(forgetful: str) -> None:
    plane = ControlPlane(forgetful, timeout=10)
    try:
        statuses = [plane.post(f"/_emulator/x/{n}", {"n": n}) for n in range(3)]
    finally:
        plane.close()
    assert statuses == [200, 200, 200]
    assert _Forgetful.seen == [(f"/_emulator/x/{n}", {"n": n}) for n in range(3)]


def test_signer_actions_reach_the_emulator_and_their_status_comes_back() -> None:
    with Emulator(**{**FAST, "name": "control-plane"}) as emulator:
        plane = ControlPlane(emulator.base_url, timeout=10)
        try:
            assert plane.post("/_emulator/signatures/nope/sign", {}) == 404
            assert plane.post("/_emulator/signatures/nope/view", {}) == 404
        finally:
            plane.close()


def test_only_a_plain_http_url_with_a_port() -> None:
    with pytest.raises(ValueError, match="http://host:port"):
        ControlPlane("https://127.0.0.1:8443")
    with pytest.raises(ValueError, match="http://host:port"):
        ControlPlane("http://127.0.0.1")
