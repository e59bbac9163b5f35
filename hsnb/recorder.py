"""Record a session with the API (live or emulated) as JSON lines; replay it against the emulator.

A :class:`Recorder` attached to a :class:`~hsnb.client.Client` (and, optionally, to a
:class:`~hsnb.listener.Listener`) writes one line per HTTP exchange and per callback received
to ``data/recorded/<session>.jsonl``: method, path, query, body (uploads only by name, size
and SHA-256), status, the rate-limit headers, and the answer (JSON, or for files its type and
size). API keys are replaced by ``<redacted>`` wherever they occur, and e-mail addresses
(other than ``@example.com/.org/.net`` ones) by stable stand-ins ``person1@example.com``, ...

:func:`replay` sends the recorded requests to an :class:`~hsnb.emulator.Emulator` and compares
status codes, ``error_name`` and the *shapes* of the answers and callback payloads (keys and
value types, not ids or times), so a difference between the emulator and the service becomes a
failing test once someone records a real session. What replay does, step by step:

* ids the service handed out (signature request, signature, app and account ids) are mapped
  to the emulator's as they appear, and substituted in later requests;
* ``callback_url`` values are pointed at the replay's own listener;
* a signer's callback in the recording (``signature_request_viewed``, ``_signed``,
  ``_declined``) makes replay do what that person did, through the emulator; every callback
  in the recording is then waited for, so requests happen in the same state as recorded;
* a request answered 409 or 429 and then sent again unchanged as the next request (a poll, a
  rate-limit retry; callbacks may come between) is skipped: only the last attempt is replayed;
  ``callback_test`` lines (sent by :mod:`hsnb.live` itself) are skipped too.

Not compared: headers other than the content type, binary contents, the order of deliveries.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from hsnb.errors import ReplayError

if TYPE_CHECKING:
    from hsnb.client import Client, Exchange
    from hsnb.emulator import Emulator
    from hsnb.listener import Listener
    from hsnb.receiver import Answer

FORMAT = 1
REDACTED = "<redacted>"
RECORDED_DIR = Path(__file__).resolve().parents[1] / "data" / "recorded"
DOCUMENTS_DIR = Path(__file__).resolve().parents[1] / "data" / "documents"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_SAFE_EMAIL = re.compile(r"@example\.(com|org|net)$", re.IGNORECASE)
_KEPT_HEADERS = ("Content-Type", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-Ratelimit-Reset")
ID_KEYS = frozenset(
    {
        "signature_request_id",
        "signature_id",
        "client_id",
        "account_id",
        "related_signature_id",
        "reported_for_account_id",
        "reported_for_app_id",
        "account_guid",
    }
)


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
        from hsnb.client.http import api_key_of

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


# -- shapes -------------------------------------------------------------------------------------


def shape(value: Any) -> Any:
    """Keys and value types of a JSON value, e.g. ``{"a": "number", "b": ["str"]}``."""
    if isinstance(value, Mapping):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            merged = _merge(merged, shape(item))
        return [] if merged is None else [merged]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _merge(a: Any, b: Any) -> Any:
    if a is None or a == "null":
        return b
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a.get(k), b.get(k)) for k in {**a, **b}}
    return a


def compare_shapes(recorded: Any, replayed: Any, where: str = "") -> list[str]:
    """Where two shapes differ (``null`` matches any type; an empty list matches any list)."""
    if recorded == "null" or replayed == "null" or recorded == replayed:
        return []
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        found = [f"{where}.{k}: missing in the emulator" for k in recorded if k not in replayed]
        found += [f"{where}.{k}: not in the recording" for k in replayed if k not in recorded]
        for key in recorded.keys() & replayed.keys():
            found += compare_shapes(recorded[key], replayed[key], f"{where}.{key}")
        return found
    if isinstance(recorded, list) and isinstance(replayed, list):
        if not recorded or not replayed:
            return []
        return compare_shapes(recorded[0], replayed[0], f"{where}[]")
    return [f"{where or '.'}: {_kind(recorded)} recorded, {_kind(replayed)} from the emulator"]


def _kind(s: Any) -> str:
    return "object" if isinstance(s, dict) else "list" if isinstance(s, list) else str(s)


@dataclass(frozen=True)
class Difference:
    """One way the emulator answered differently from the recording."""

    seq: int
    step: str
    what: str


@dataclass
class ReplayReport:
    """What :func:`replay` found: ``ok`` when nothing differed."""

    name: str
    steps: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the emulator matched the recording."""
        return not self.differences

    def explain(self) -> str:
        """One line per difference (or a one-line all-clear)."""
        if self.ok:
            return f"{self.name}: {self.steps} steps replayed, no differences"
        lines = [f"{self.name}: {len(self.differences)} differences in {self.steps} steps"]
        lines += [f"  #{d.seq} {d.step}: {d.what}" for d in self.differences]
        return "\n".join(lines)


def replay(
    path: str | Path,
    emulator: Emulator,
    *,
    files_dirs: Iterable[str | Path] = (DOCUMENTS_DIR,),
    timeout: float = 10.0,
) -> ReplayReport:
    """Replay the recording at ``path`` against a running ``emulator`` (see the module doc).

    The emulator's account and default-app callback URLs point at a listener of the replay's
    own while it runs, and are restored afterwards. Raises :class:`ReplayError` when the
    recording cannot be replayed at all. (The machinery is in :mod:`hsnb.client.replay`.)
    """
    from hsnb.client.replay import replay_against

    return replay_against(path, emulator, files_dirs=files_dirs, timeout=timeout)
