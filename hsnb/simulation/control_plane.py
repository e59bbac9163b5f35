"""The simulated signers' hands: JSON POSTs to the emulator's control plane on 127.0.0.1, over
one kept-alive connection (``http.client``: a signer's action is a few hundred bytes, and a run
takes thousands of them, one at a time, while the emulated clock waits)."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

#: Errors after which the connection is opened again and the request sent once more (the
#: server closed a kept-alive connection between two requests).
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class ControlPlane:
    """POSTs to one emulator's ``/_emulator`` endpoints (``base_url``: its root, no ``/v3``)."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"the control plane needs an http://host:port URL, not {base_url!r}")
        self._host, self._port, self._timeout = parts.hostname, parts.port, timeout
        self._connection: http.client.HTTPConnection | None = None

    def post(self, path: str, payload: dict[str, Any]) -> int:
        """POST ``payload`` as JSON to ``path``; the answer's status (its body is read and
        dropped)."""
        body = json.dumps(payload).encode()
        try:
            return self._send(path, body)
        except _STALE:
            self.close()
            return self._send(path, body)

    def _send(self, path: str, body: bytes) -> int:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self._host, self._port, timeout=self._timeout
            )
        headers = {"Content-Type": "application/json"}
        self._connection.request("POST", path, body=body, headers=headers)
        answer = self._connection.getresponse()
        answer.read()
        return answer.status

    def close(self) -> None:
        """Close the connection (the next :meth:`post` opens another)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
