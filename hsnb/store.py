"""The durable event store: every delivery kept, every logical event stored once (SQLite, WAL).

Two tables:

* ``deliveries``: every HTTP request the listener received, with its raw body, headers
  (credentials redacted), received time (UTC), the status answered, a verdict: ``accepted`` (a
  new event), ``duplicate`` (a retry of an event already stored) or ``rejected`` (with the
  reason), and ``verified_by``: the fingerprint of the API key whose ``event_hash`` matched. A
  refused request keeps only the first kilobyte of its body (``body_size`` says how much came).
  ``status`` and ``verdict`` are always the listener's own judgement; when something else
  answered the sender, ``scripted`` holds the answer rule (:mod:`hsnb.answers`) and
  ``forwarded_*``/``forward_outcome`` the handler's answer (:mod:`hsnb.relay`).
* ``events``: one row per logical event, keyed by :attr:`hsnb.events.Event.identity` (Dropbox
  Sign sends no event id; see that property for the definition), with the delivery count and
  the payload as received (strict JSON: the listener refuses ``NaN``, ``1e999`` and lone
  surrogates).

Writes go through one writer thread (:mod:`hsnb.writer`) that commits everything pending in one
transaction (``synchronous=FULL``) and only then resolves each write's future, so a listener that
acknowledges after its future resolved never acknowledges what a crash could lose. Reads use
their own connection and see committed data only; other processes may read the file meanwhile.
A file that is not a sound event store (another program's database, a damaged file) is refused
at open and left untouched (:mod:`hsnb.store_files`). The tables and how an older store is
brought up to date: :mod:`hsnb.store_schema`; what a write becomes: :mod:`hsnb.store_rows`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from hsnb.errors import StoreError
from hsnb.events import Event, parse_event
from hsnb.records import RecordResult, RequestInfo, StoredEvent, Verdict, unpack_body
from hsnb.store_files import check_store_file, prepare_path, read_only_uri
from hsnb.store_schema import SCHEMA, SCHEMA_VERSION, bring_up_to_date
from hsnb.writer import GroupCommitWriter, Write

#: Past this size (1 GiB), refused requests are answered but no longer stored.
DEFAULT_MAX_BYTES = 2**30
_WRITE_TIMEOUT = 60.0

__all__ = [
    "SCHEMA_VERSION",
    "EventStore",
    "RecordResult",
    "RequestInfo",
    "StoredEvent",
    "Verdict",
    "Write",
]


class EventStore:
    """SQLite-backed store of deliveries and events (``":memory:"`` for a throwaway one).

    ``read_only=True`` opens an existing file for reading only (nothing is written to it, not
    even the schema); recording then raises :class:`StoreError`. ``busy_timeout``: how long
    a commit waits for another process holding the file's lock before it fails. ``max_bytes``:
    past this database size, refused requests are answered but not stored (``unrecorded``
    counts them), so a flood of forged requests cannot fill the disk that real callbacks need.
    Raises :class:`StoreError` (one line) when the path cannot be an event store.

    >>> store = EventStore()
    >>> len(store)
    0
    """

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        busy_timeout: float = 5.0,
        read_only: bool = False,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._changed = threading.Condition()
        self._waiting = 0  # callers in wait_for_change (read without the lock: at worst late)
        self._writer: GroupCommitWriter | None = None
        self._read_lock = threading.Lock()
        try:
            write_db = self._write_db = self._open(busy_timeout)
            names = [row[1] for row in self._read_db.execute("PRAGMA table_info(deliveries)")]
            event_names = [row[1] for row in self._read_db.execute("PRAGMA table_info(events)")]
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open event store {self.path}: {exc}") from exc
        self._delivery_columns = ", ".join(n for n in names if n not in ("body", "body_codec"))
        #: Whether the events table holds the events' flat fields (schema 5): an older store
        #: opened read-only keeps only payloads, which readers then parse.
        self.keeps_fields = "payload_start" in event_names
        self._event_columns = ", ".join(
            f"e.{n}" for n in event_names if n not in ("payload", "payload_start", "payload_length")
        )
        if write_db is not None:
            self._writer = GroupCommitWriter(
                write_db,
                lock=self._read_lock if write_db is self._read_db else threading.Lock(),
                name=self.path,
                on_commit=self.notify_waiters,
                max_bytes=max_bytes,
            )

    @property
    def in_memory(self) -> bool:
        """Whether the store lives in memory (and so dies with its process)."""
        return self.path == ":memory:"

    def _open(self, busy_timeout: float) -> sqlite3.Connection | None:
        """Open the read connection and, unless read-only, the write connection (returned)."""
        if self.in_memory:
            if self.read_only:
                raise StoreError("an in-memory event store cannot be opened read-only")
            # one connection for reads and writes: a second one would see another database
            db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            db.executescript(SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.row_factory = sqlite3.Row
            self._read_db = db
            return db
        file = Path(self.path)
        exists = prepare_path(file, read_only=self.read_only)
        if self.read_only and not exists:
            raise StoreError(f"cannot open event store {self.path}: the file is empty")
        version = check_store_file(file, SCHEMA_VERSION, busy_timeout=busy_timeout) if exists else 0
        write_db = None
        if not self.read_only:
            write_db = sqlite3.connect(
                file, timeout=busy_timeout, check_same_thread=False, isolation_level=None
            )
            write_db.execute("PRAGMA journal_mode=WAL")
            write_db.execute("PRAGMA synchronous=FULL")
            bring_up_to_date(write_db, version)
        uri = read_only_uri(file) if self.read_only else file.resolve().as_uri()
        self._read_db = sqlite3.connect(
            uri, uri=True, timeout=busy_timeout, check_same_thread=False
        )
        self._read_db.execute("PRAGMA query_only=1")
        self._read_db.row_factory = sqlite3.Row
        return write_db

    def __repr__(self) -> str:
        return f"EventStore({self.path!r}, events={len(self)})"

    def __len__(self) -> int:
        """The number of logical events stored."""
        with self._reading() as db:
            return db.execute("SELECT count(*) FROM events").fetchone()[0]

    @property
    def commits(self) -> int:
        """Transactions this store's writer committed (several callbacks may share one)."""
        return self._writer.commits if self._writer is not None else 0

    @property
    def pending(self) -> int:
        """Writes handed to this store that wait for the writer's next transaction."""
        return self._writer.pending if self._writer is not None else 0

    @property
    def writing(self) -> int:
        """Writes in the transaction under way (0 when the writer is between transactions)."""
        return self._writer.writing if self._writer is not None else 0

    @property
    def unrecorded(self) -> int:
        """Refused requests answered but not stored because the store was past ``max_bytes``."""
        return self._writer.unrecorded if self._writer is not None else 0

    def close(self) -> None:
        """Write what is pending, then close the database connections."""
        if self._writer is not None:
            self._writer.close()
        with self._read_lock:
            self._read_db.close()
            if self._write_db is not None:
                self._write_db.close()

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._read_lock:
            try:
                yield self._read_db
            except sqlite3.Error as exc:
                raise StoreError(f"event store {self.path}: {exc}") from exc

    def notify_waiters(self) -> None:
        """Wake the callers of :meth:`wait_for_change` (each commit does; so may a listener)."""
        if self._waiting:  # nobody waits most of the time: then the lock is not even taken
            with self._changed:
                self._changed.notify_all()

    # -- writing -------------------------------------------------------------------------------

    def submit(self, write: Write) -> None:
        """Hand a write to the store's writer; ``write.future`` resolves once it is committed.

        The future fails with :class:`StoreError` when the commit fails (or the store is
        read-only or closed). This never blocks on SQLite, so a server loop may call it.
        """
        if self._writer is None:
            error = StoreError(f"cannot write to event store {self.path}: it is opened readonly")
            if write.future is not None:
                write.future.set_exception(error)
            return
        self._writer.submit(write)

    def withdraw(self, write: Write) -> bool:
        """Take back a submitted write that still waits for the writer (nothing is written).

        Returns ``False`` when it is already being written (its future will resolve).
        """
        return self._writer is not None and self._writer.withdraw(write)

    def record_event(
        self,
        request: RequestInfo,
        event: Event,
        *,
        verified: bool | None = None,
        verified_by: str | None = None,
    ) -> RecordResult:
        """Store a well-formed delivery and its event (once); return after the commit.

        A delivery whose event identity is already stored is recorded as a duplicate and the
        event's delivery count goes up. Raises :class:`StoreError` when the commit fails.
        """
        return self._record(
            Write(request, 200, event=event, verified=verified, verified_by=verified_by)
        )

    def record_rejection(
        self, request: RequestInfo, status: int, reason: str, *, event: Event | None = None
    ) -> RecordResult:
        """Store a delivery that was refused, with the status answered and the reason (and the
        ``event_type`` it claimed, when its body could be read: ``event``)."""
        return self._record(Write(request, status, reason, claimed=event))

    def _record(self, write: Write) -> RecordResult:
        future: Future[RecordResult] = Future()
        write.future = future
        self.submit(write)
        return future.result(_WRITE_TIMEOUT)

    # -- reading -------------------------------------------------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection that sees one committed state until the block ends.

        For a large read in batches: a file store gets a connection of its own (other readers
        and the writer go on meanwhile); an in-memory store lends its one connection, under the
        read lock. Raises :class:`StoreError` for an SQLite error.
        """
        if self.in_memory:
            with self._reading() as db:
                yield db
            return
        db = sqlite3.connect(read_only_uri(Path(self.path)), uri=True)
        try:
            db.execute("BEGIN")
            yield db
        except sqlite3.Error as exc:
            raise StoreError(f"event store {self.path}: {exc}") from exc
        finally:
            db.close()

    def event_rows(self) -> list[dict[str, Any]]:
        """Every stored event as a plain dict, with its payload as received, in arrival order."""
        with self._reading() as db:
            rows = db.execute(f"{self._select_payloads()} ORDER BY e.event_id").fetchall()
        return [_public(row) | {"payload": _payload_of(row)} for row in rows]

    def delivery_rows(self, *, with_body: bool = False) -> list[dict[str, Any]]:
        """Every delivery as a plain dict, in arrival order (raw body only on request: the bytes
        received, as the store keeps them compressed)."""
        columns = "*" if with_body else self._delivery_columns
        with self._reading() as db:
            rows = db.execute(f"SELECT {columns} FROM deliveries ORDER BY delivery_id").fetchall()
        if not with_body:
            return [dict(row) for row in rows]
        unpacked = []
        for row in rows:
            found = dict(row)
            found["body"] = unpack_body(found["body"], found.pop("body_codec", None))
            unpacked.append(found)
        return unpacked

    def _select_payloads(self, columns: str | None = None) -> str:
        """A query of events (``e``) with what their payload is read from, ``columns`` first."""
        columns = columns or self._event_columns
        if not self.keeps_fields:
            return f"SELECT {columns}, e.payload AS _text FROM events e"
        return (
            f"SELECT {columns}, e.payload AS _text, e.payload_start AS _start,"
            " e.payload_length AS _length, d.body AS _body, d.body_codec AS _codec FROM events e"
            " LEFT JOIN deliveries d ON d.delivery_id = e.first_delivery_id"
        )

    def stored_events(
        self,
        event_type: str | Iterable[str] | None = None,
        *,
        signature_request_id: str | None = None,
        after_id: int = 0,
    ) -> list[StoredEvent]:
        """Stored events, optionally of some types and/or one signature request, in arrival order.

        ``event_type`` is one type or several (any of them matches).
        """
        columns = "e.event_id, e.received_at, e.delivery_count, e.verified"
        sql = self._select_payloads(columns) + " WHERE e.event_id > ?"
        params: list[Any] = [after_id]
        if event_type is not None:
            types = [event_type] if isinstance(event_type, str) else list(event_type)
            sql += f" AND e.event_type IN ({', '.join('?' * len(types))})"
            params.extend(types)
        if signature_request_id is not None:
            sql += " AND e.signature_request_id = ?"
            params.append(signature_request_id)
        with self._reading() as db:
            rows = db.execute(sql + " ORDER BY e.event_id", params).fetchall()
        return [_stored_event(row) for row in rows]

    def wait_for_change(self, timeout: float) -> None:
        """Block until a commit in this process, or ``timeout`` seconds (other writers: poll)."""
        with self._changed:
            self._waiting += 1
            try:
                self._changed.wait(timeout)
            finally:
                self._waiting -= 1


def _public(row: sqlite3.Row) -> dict[str, Any]:
    """A row as a dict, without the columns a query added to read the payload (``_...``)."""
    return {name: row[name] for name in row.keys() if not name.startswith("_")}


def _payload_of(row: sqlite3.Row) -> str:
    """An event's payload as received: its text, or its slice of the first delivery's body."""
    text = row["_text"]
    if text:
        return text
    start = row["_start"]
    body = unpack_body(row["_body"], row["_codec"])
    return body[start : start + row["_length"]].decode()


def _stored_event(row: sqlite3.Row) -> StoredEvent:
    verified = row["verified"]
    return StoredEvent(
        event_id=row["event_id"],
        event=parse_event(_payload_of(row)),
        received_at=datetime.fromisoformat(row["received_at"]),
        delivery_count=row["delivery_count"],
        verified=None if verified is None else bool(verified),
    )
