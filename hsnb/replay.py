"""Replay a recording against the emulator, and compare what comes back by shape.

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
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from hsnb.errors import ReplayError
from hsnb.listener import Listener
from hsnb.recorder import REDACTED, load, response_body

if TYPE_CHECKING:
    from hsnb.emulator import Emulator

DOCUMENTS_DIR = Path(__file__).resolve().parents[1] / "data" / "documents"
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


class _Replayer:
    """One replay run: ids seen so far, the listener, the report."""

    def __init__(
        self,
        name: str,
        header: Mapping[str, Any],
        emulator: Emulator,
        files_dirs: Iterable[str | Path],
        timeout: float,
        listener: Listener,
    ) -> None:
        self.emulator = emulator
        self.listener = listener
        self.timeout = timeout
        self.report = ReplayReport(name)
        self.ids: dict[str, str] = {}
        if header.get("client_id") and emulator.client_id:
            self.ids[header["client_id"]] = emulator.client_id
        self.files = _index_files(files_dirs)
        self.session = requests.Session()
        self.session.auth = (emulator.api_key, "")
        self.acted: set[tuple[str, str]] = set()

    def run(self, lines: list[dict[str, Any]]) -> ReplayReport:
        # A callback can be recorded before the answer that made its request (the service is
        # quick, the client records after its answer is in): such a callback waits until a
        # later request line has taught replay its request's id.
        early: list[dict[str, Any]] = []
        for index, line in enumerate(lines):
            if line["kind"] == "request":
                following = next((x for x in lines[index + 1 :] if x["kind"] == "request"), None)
                if line["status"] in (409, 429) and _same_request(line, following):
                    continue
                self.request(line)
                while early and self.knows(early[0]):
                    self.callback(early.pop(0))
            elif line["kind"] == "callback" and line.get("verdict") == "accepted":
                if line.get("event_type") in (None, "callback_test"):
                    continue
                if early or not self.knows(line):
                    early.append(line)
                else:
                    self.callback(line)
        for line in early:
            self.callback(line)
        return self.report

    def knows(self, line: Mapping[str, Any]) -> bool:
        """Whether the request a callback line is about is known (or it is about none)."""
        request = (line.get("payload") or {}).get("signature_request") or {}
        recorded = request.get("signature_request_id")
        return not recorded or recorded in self.ids

    def differ(self, line: Mapping[str, Any], step: str, what: str) -> None:
        self.report.differences.append(Difference(line["seq"], step, what))

    def map(self, value: Any, key: str | None = None) -> Any:
        """``value`` with recorded ids replaced and callback URLs pointed at the listener."""
        if key == "callback_url" and isinstance(value, str) and value:
            return self.listener.url
        if isinstance(value, str):
            for recorded, replayed in self.ids.items():
                value = value.replace(recorded, replayed)
            return value
        if isinstance(value, Mapping):
            return {k: self.map(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.map(v) for v in value]
        return value

    def learn(self, recorded: Any, replayed: Any, key: str | None = None) -> None:
        """Map the ids in a recorded answer to the ids at the same place in the replayed one."""
        if key in ID_KEYS and isinstance(recorded, str) and isinstance(replayed, str):
            if recorded != replayed and recorded != REDACTED:
                self.ids.setdefault(recorded, replayed)
        elif isinstance(recorded, Mapping) and isinstance(replayed, Mapping):
            for k in recorded.keys() & replayed.keys():
                self.learn(recorded[k], replayed[k], k)
        elif isinstance(recorded, list) and isinstance(replayed, list):
            for a, b in zip(recorded, replayed, strict=False):
                self.learn(a, b)

    def request(self, line: Mapping[str, Any]) -> None:
        step = f"{line['method']} {line['path']}"
        self.report.steps += 1
        kwargs: dict[str, Any] = {"params": self.map(line.get("params") or {})}
        if "files" in line:
            kwargs["data"] = self.map(line.get("form") or {})
            kwargs["files"] = [
                (f"files[{i}]", (f["name"], self.file(f), f["content_type"]))
                for i, f in enumerate(line["files"])
            ]
        elif "json" in line:
            kwargs["json"] = self.map(line["json"])
        url = self.emulator.api_url + self.map(line["path"])
        response = self.session.request(line["method"], url, timeout=self.timeout, **kwargs)
        if response.status_code != line["status"]:
            self.differ(line, step, f"status {line['status']} recorded, {response.status_code}")
            return
        replayed = response_body(response)
        recorded = line.get("response")
        if isinstance(recorded, Mapping) and isinstance(recorded.get("error"), Mapping):
            name = (replayed or {}).get("error", {}).get("error_name") if replayed else None
            if name != recorded["error"].get("error_name"):
                wanted = recorded["error"].get("error_name")
                self.differ(line, step, f"error_name {wanted!r} recorded, {name!r}")
            return
        if isinstance(recorded, Mapping) and "binary" in recorded:
            got = (replayed or {}).get("binary", {}).get("content_type") if replayed else None
            if got != recorded["binary"]["content_type"]:
                wanted = recorded["binary"]["content_type"]
                self.differ(line, step, f"content type {wanted} recorded, {got}")
            return
        for problem in compare_shapes(shape(recorded), shape(replayed)):
            self.differ(line, step, problem)
        self.learn(recorded, replayed)

    def file(self, spec: Mapping[str, Any]) -> bytes:
        found = self.files.get(spec["sha256"])
        if found is None:
            raise ReplayError(
                f"the recording uploaded {spec['name']} (sha256 {spec['sha256'][:12]}...), which "
                "is in none of the files_dirs: add the file there to replay this session"
            )
        return found

    def callback(self, line: Mapping[str, Any]) -> None:
        payload = line["payload"]
        event_type = line["event_type"]
        step = f"callback {event_type}"
        self.report.steps += 1
        metadata = payload.get("event", {}).get("event_metadata") or {}
        related = self.map(metadata.get("related_signature_id"))
        request_id = self.map((payload.get("signature_request") or {}).get("signature_request_id"))
        if related and (event_type, related) not in self.acted:
            self.act(event_type, related, metadata.get("event_message"))

        def find() -> Any:
            return self.find(event_type, request_id, related, line.get("callback_type"))

        stored = wait_until(find, self.timeout)
        if stored is None and self.emulator.wait_settled(self.timeout):
            stored = find()  # a busy machine may be slow: judge once nothing is in flight
        if stored is None:
            self.differ(line, step, f"not received within {self.timeout:g} s")
            return
        for problem in compare_shapes(shape(payload), shape(dict(stored.payload))):
            self.differ(line, step, problem)
        self.learn(payload, dict(stored.payload))

    def act(self, event_type: str, signature_id: str, reason: str | None) -> None:
        """Do what the signer did to cause ``event_type``, through the emulator."""
        self.acted.add((event_type, signature_id))
        if event_type == "signature_request_viewed":
            self.emulator.view(signature_id)
        elif event_type == "signature_request_signed":
            self.acted.add(("signature_request_viewed", signature_id))
            self.emulator.sign(signature_id)
        elif event_type == "signature_request_declined":
            self.acted.add(("signature_request_viewed", signature_id))
            self.emulator.decline(signature_id, reason)

    def find(
        self, event_type: str, request_id: str | None, related: str | None, kind: str | None
    ) -> Any:
        for stored in self.listener.store.stored_events(
            event_type, signature_request_id=request_id
        ):
            event = stored.event
            if related and event.related_signature_id != related:
                continue
            if kind and event.callback_type != kind:
                continue
            return event
        return None


def _same_request(line: Mapping[str, Any], other: Mapping[str, Any] | None) -> bool:
    if other is None or other.get("kind") != "request":
        return False
    keys = ("method", "path", "params", "json", "form")
    return all(line.get(k) == other.get(k) for k in keys)


def _index_files(dirs: Iterable[str | Path]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for directory in dirs:
        for path in sorted(Path(directory).glob("*")):
            if path.is_file():
                data = path.read_bytes()
                found.setdefault(hashlib.sha256(data).hexdigest(), data)
    return found


def replay(
    path: str | Path,
    emulator: Emulator,
    *,
    files_dirs: Iterable[str | Path] = (DOCUMENTS_DIR,),
    timeout: float = 10.0,
) -> ReplayReport:
    """Replay the recording at ``path`` against a running ``emulator`` (see the module doc).

    The emulator's account and default-app callback URLs point at a listener of the replay's
    own while it runs, and are restored afterwards. Raises :class:`~hsnb.errors.ReplayError`
    when the recording cannot be replayed at all.
    """
    header, lines = load(path)
    saved = emulator.callback_url, emulator.app_callback_url
    has_app = emulator.client_id is not None
    with Listener(api_keys=emulator.api_key, name="hsnb-replay") as listener:
        replayer = _Replayer(Path(path).stem, header, emulator, files_dirs, timeout, listener)
        emulator.callback_url = listener.url
        if has_app:
            emulator.app_callback_url = listener.url
        try:
            return replayer.run(lines)
        finally:
            replayer.session.close()
            emulator.callback_url = saved[0]
            if has_app:
                emulator.app_callback_url = saved[1]


def wait_until(predicate: Any, timeout: float, interval: float = 0.02) -> Any:
    """Poll ``predicate()`` until it returns something truthy; ``None`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() >= deadline:
            return result or None
        time.sleep(interval)
