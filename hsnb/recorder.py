"""Record a session with the API (live or emulated) as redacted JSON lines.

A :class:`Recorder` attached to a :class:`~hsnb.client.Client` (and, optionally, to a
:class:`~hsnb.listener.Listener`) writes one line per HTTP exchange and per callback received
to ``data/recorded/<session>.jsonl``: method, path, query, body (uploads only by name, size
and SHA-256), status, the rate-limit headers, and the answer (JSON, or for files its type and
size). API keys are replaced by ``<redacted>`` wherever they occur, and e-mail addresses
(other than ``@example.com/.org/.net`` ones) by stable stand-ins ``person1@example.com``, ...

A recording is replayed against the emulator by :mod:`hsnb.replay`.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from hsnb.client.http import api_key_of
from hsnb.errors import ReplayError

if TYPE_CHECKING:
    from hsnb.client import Client, Exchange
    from hsnb.listener import Listener
    from hsnb.receiver import Answer

FORMAT = 1
REDACTED = "<redacted>"
RECORDED_DIR = Path(__file__).resolve().parents[1] / "data" / "recorded"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_SAFE_EMAIL = re.compile(r"@example\.(com|org|net)$", re.IGNORECASE)
_KEPT_HEADERS = ("Content-Type", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-Ratelimit-Reset")


class Redactor:
    """Replaces secrets everywhere, and e-mail addresses by stable ``personN@example.com``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = {s for s in secrets if s}
        self._emails: dict[str, str] = {}

    def text(self, value: str) -> str:
        """``value`` with secrets and e-mail addresses replaced."""
        for secret in self.secrets:
            value = value.replace(secret, REDACTED)
        return _EMAIL.sub(self._email, value)

    def _email(self, match: re.Match[str]) -> str:
        address = match.group(0)
        if _SAFE_EMAIL.search(address):
            return address
        key = address.lower()
        if key not in self._emails:
            self._emails[key] = f"person{len(self._emails) + 1}@example.com"
        return self._emails[key]

    def __call__(self, value: Any) -> Any:
        """A redacted copy of a JSON-like value (keys too)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self(v) for v in value]
        return value


class Recorder:
    """Writes a session's exchanges and callbacks to ``path`` as redacted JSON lines.

    ``path``: a file, or a bare session name (written to ``data/recorded/<name>.jsonl``).
    ``source``: ``"live"`` or ``"emulator"`` (say which in the file, always). ``secrets``:
    extra strings to redact (an attached client's key is added by :meth:`attach`).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        source: str = "live",
        note: str = "",
        secrets: Iterable[str] = (),
        client_id: str | None = None,
    ) -> None:
        path = Path(path)
        if path.suffix != ".jsonl" and path.parent == Path("."):
            path = RECORDED_DIR / f"{path}.jsonl"
        self.path = path
        self.redact = Redactor(secrets)
        self._lock = threading.Lock()
        self._seq = 0
        self._header = {"kind": "session", "format": FORMAT, "source": source, "note": note}
        self._header["client_id"] = client_id
        self._file: Any = None
        self._closed = False

    def __repr__(self) -> str:
        return f"<Recorder {self.path.name} lines={self._seq}>"

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def attach(self, client: Client) -> Recorder:
        """Record every exchange of ``client`` (its API key is redacted)."""
        key = api_key_of(client)
        if key:
            self.redact.secrets.add(key)
        if self._header["client_id"] is None:
            self._header["client_id"] = client.client_id
        client.add_observer(self.record_exchange)
        return self

    def attach_listener(self, listener: Listener) -> Recorder:
        """Record every callback ``listener`` receives."""
        for key in listener.receiver.api_keys:
            self.redact.secrets.add(key)
        listener.on_delivery(self.record_callback)
        return self

    def record_exchange(self, exchange: Exchange) -> None:
        """Write one exchange (an observer of :class:`~hsnb.client.Client`)."""
        response = exchange.response
        line: dict[str, Any] = {
            "kind": "request",
            "method": exchange.method,
            "path": exchange.path,
            "params": dict(exchange.params),
        }
        if exchange.uploads:
            line["form"] = dict(exchange.form)
            line["files"] = [
                {
                    "name": u.filename,
                    "content_type": u.content_type,
                    "size": len(u.data),
                    "sha256": hashlib.sha256(u.data).hexdigest(),
                }
                for u in exchange.uploads
            ]
        elif exchange.json_body is not None:
            line["json"] = exchange.json_body
        line["status"] = response.status_code
        line["headers"] = {h: response.headers[h] for h in _KEPT_HEADERS if h in response.headers}
        line["response"] = response_body(response)
        line["elapsed_ms"] = round(exchange.elapsed * 1000)
        self._write(line)

    def record_callback(self, answer: Answer) -> None:
        """Write one callback delivery (a :meth:`Listener.on_delivery` hook)."""
        event = answer.event
        verdict = answer.record.verdict.value if answer.record else None
        line = {
            "kind": "callback",
            "event_type": event.event_type if event else None,
            "callback_type": event.callback_type if event else None,
            "status": answer.status,
            "verdict": verdict,
            "payload": dict(event.payload) if event else None,
        }
        self._write(line)

    def _write(self, line: dict[str, Any]) -> None:
        with self._lock:
            if self._closed:
                return
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("w", encoding="utf-8")
                self._file.write(json.dumps(self.redact(self._header)) + "\n")
            self._seq += 1
            text = json.dumps({"seq": self._seq, **self.redact(line)}, separators=(",", ":"))
            self._file.write(text + "\n")
            self._file.flush()

    def close(self) -> None:
        """Close the file (idempotent); what the client or listener does later is not written."""
        with self._lock:
            self._closed = True
            if self._file is not None:
                self._file.close()
                self._file = None


def response_body(response: requests.Response) -> Any:
    """The JSON of an answer, or ``{"binary": {content_type, size}}``, or ``None`` if empty."""
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if not response.content:
        return None
    if content_type == "application/json":
        try:
            return response.json()
        except ValueError:
            pass
    return {"binary": {"content_type": content_type, "size": len(response.content)}}


def load(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A recording's header and its lines."""
    lines = [json.loads(t) for t in Path(path).read_text(encoding="utf-8").splitlines() if t]
    if not lines or lines[0].get("kind") != "session":
        raise ReplayError(f"{path} does not start with a session line")
    return lines[0], lines[1:]
