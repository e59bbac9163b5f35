"""Group commit: one thread owns an event store's write connection and commits for everyone.

A handler hands the writer a :class:`Write` and awaits the write's own future. The writer takes
every write pending at that moment, writes them all in one transaction, commits it (one fsync
with ``synchronous=FULL``), and only then resolves each future. So no callback is acknowledged
before the commit that holds it (durability per callback is unchanged), while callbacks that
arrive together share one fsync instead of waiting in line for each other's. The thread that
serves HTTP never touches SQLite: a locked or slow store delays only the answers that wait for
it, and a write still waiting in the queue can be withdrawn (:meth:`GroupCommitWriter.withdraw`).

A batch is written with one query for the events it already holds and one ``executemany`` per
table, so the Python work per callback stays small (it shares the interpreter lock with the
server). A write the store cannot take for a reason of its own (a value SQLite refuses) fails
alone: the batch is written again with a savepoint per write, and that write's refusal (503) is
recorded instead. A failure of the store itself (locked, disk full, I/O error) fails the batch.

The thread starts on the first write and ends after a few idle seconds (a later write starts
it again), so stores that are never closed do not keep threads.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any

from hsnb.errors import StoreError
from hsnb.records import RecordResult, Verdict
from hsnb.store_rows import (
    COUNT_DELIVERY,
    INSERT_DELIVERY,
    INSERT_EVENT,
    RECORD_FORWARD,
    Write,
    delivery_row,
    event_row,
    forward_row,
)

#: Writes taken into one transaction at most.
MAX_BATCH = 512
_IDLE_SECONDS = 2.0
#: Errors of one write's values (the store itself is fine): that write fails alone.
_VALUE_ERRORS = (sqlite3.InterfaceError, sqlite3.IntegrityError, ValueError, TypeError)

_LAST_ID = "SELECT seq FROM sqlite_sequence WHERE name = ?"

Outcome = RecordResult | StoreError


class _WriteFailed(Exception):
    """Internal: one write failed for a reason of its own; write the batch one by one."""


class GroupCommitWriter:
    """The one thread that writes to a store, a transaction per batch of pending writes.

    ``db`` is the write connection (autocommit mode: the writer opens its transactions);
    ``lock`` guards it (shared with readers when the store lives in memory); ``on_commit`` runs
    after each commit, before the futures resolve. ``max_bytes``: past this database size,
    refusals are answered but not stored (counted in :attr:`unrecorded`).
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        *,
        lock: AbstractContextManager[object],
        name: str,
        on_commit: Callable[[], None],
        max_bytes: int | None,
    ) -> None:
        self._db = db
        self._db_lock = lock
        self._name = name
        self._on_commit = on_commit
        self._max_bytes = max_bytes
        self._page_size = db.execute("PRAGMA page_size").fetchone()[0]
        self._pending: deque[Write] = deque()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._sleeping = False  # the thread waits for work: only then is a wake-up needed
        self._closed = False
        #: Refusals answered but not stored because the store was past ``max_bytes``.
        self.unrecorded = 0
        #: Transactions committed, and the writes they held (their ratio: writes per fsync).
        self.commits = 0
        self.committed_writes = 0
        #: Writes in the transaction under way (0 between transactions).
        self.writing = 0

    @property
    def pending(self) -> int:
        """Writes waiting for the next transaction."""
        return len(self._pending)

    def submit(self, write: Write) -> None:
        """Queue a write (its future fails at once when the writer is closed)."""
        with self._wake:
            if self._closed:
                _resolve(write.future, StoreError(f"event store {self._name} is closed"))
                return
            self._pending.append(write)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"hsnb-writer {self._name}", daemon=True
                )
                self._thread.start()
            elif self._sleeping:  # a busy writer takes this write with its next batch anyway
                self._sleeping = False
                self._wake.notify()

    def withdraw(self, write: Write) -> bool:
        """Take back a write still waiting in the queue (then nothing of it is written).

        Returns ``False`` when its transaction already began: its future will resolve.
        """
        with self._wake:
            try:
                self._pending.remove(write)
            except ValueError:
                return False
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Write what is pending, then stop the thread (waits up to ``timeout`` seconds)."""
        with self._wake:
            self._closed = True
            thread = self._thread
            self._wake.notify()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending:
                    self._sleeping = True
                    woken = not self._closed and self._wake.wait(_IDLE_SECONDS)
                    self._sleeping = False
                    if not woken and not self._pending:
                        self._thread = None
                        return
                count = min(len(self._pending), MAX_BATCH)
                batch = [self._pending.popleft() for _ in range(count)]
            self._commit(batch)

    def _commit(self, batch: list[Write]) -> None:
        self.writing = len(batch)
        try:
            with self._db_lock:
                try:
                    outcomes = self._transaction(batch, one_by_one=False)
                except _WriteFailed:
                    outcomes = self._transaction(batch, one_by_one=True)
        except sqlite3.Error as exc:
            error = StoreError(f"event store {self._name}: {exc}")
            outcomes = [error] * len(batch)
        else:
            self.commits += 1
            self.committed_writes += len(batch)
            self._on_commit()
        finally:
            self.writing = 0
        _resolve_all(batch, outcomes)

    def _transaction(self, batch: list[Write], *, one_by_one: bool) -> list[Outcome]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            over_budget = self._over_budget()
            if one_by_one:
                outcomes = [self._write_alone(write, over_budget) for write in batch]
            else:
                try:
                    outcomes = list(self._write_batch(batch, over_budget))
                except _VALUE_ERRORS as exc:
                    raise _WriteFailed from exc
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite may have rolled back already
                db.execute("ROLLBACK")
            raise
        return outcomes

    def _over_budget(self) -> bool:
        if self._max_bytes is None:
            return False
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        return pages * self._page_size > self._max_bytes

    def _last_id(self, table: str) -> int:
        row = self._db.execute(_LAST_ID, (table,)).fetchone()
        return row[0] if row else 0

    def _write_batch(self, batch: list[Write], over_budget: bool) -> list[RecordResult]:
        """Write a batch with one query per table; ids are given here, in arrival order."""
        db = self._db
        delivery_id = self._last_id("deliveries")
        event_id = self._last_id("events")
        keys = list({write.event.identity for write in batch if write.event is not None})
        known: dict[str, int] = {}
        if keys:
            marks = ", ".join("?" * len(keys))
            query = f"SELECT event_key, event_id FROM events WHERE event_key IN ({marks})"
            known = dict(db.execute(query, keys).fetchall())
        deliveries: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        counts: list[tuple[int]] = []
        results: list[RecordResult] = []
        forwards: list[tuple[Any, ...]] = []
        for write in batch:
            forwarded = write.forwarded
            if forwarded is not None:
                forwards.append(forward_row(forwarded))
                results.append(forwarded.record)
                continue
            event = write.event
            if event is None and over_budget:
                self.unrecorded += 1
                results.append(RecordResult(None, Verdict.REJECTED))
                continue
            delivery_id += 1
            if event is None:
                deliveries.append(delivery_row(delivery_id, write, Verdict.REJECTED))
                results.append(RecordResult(delivery_id, Verdict.REJECTED))
                continue
            key = event.identity
            found = known.get(key)
            if found is None:
                event_id += 1
                found = known[key] = event_id
                events.append(event_row(event_id, key, delivery_id, write))
                verdict = Verdict.ACCEPTED
            else:
                counts.append((found,))
                verdict = Verdict.DUPLICATE
            deliveries.append(delivery_row(delivery_id, write, verdict, key))
            results.append(RecordResult(delivery_id, verdict, found))
        db.executemany(INSERT_DELIVERY, deliveries)
        if events:
            db.executemany(INSERT_EVENT, events)
        if counts:
            db.executemany(COUNT_DELIVERY, counts)
        if forwards:
            db.executemany(RECORD_FORWARD, forwards)
        return results

    def _write_alone(self, write: Write, over_budget: bool) -> Outcome:
        """Write one write inside its own savepoint; a value SQLite refuses fails it alone."""
        self._db.execute("SAVEPOINT one")
        try:
            (outcome,) = self._write_batch([write], over_budget)
        except _VALUE_ERRORS as exc:
            self._db.execute("ROLLBACK TO one")
            outcome = self._failed(write, exc, over_budget)
        self._db.execute("RELEASE one")
        return outcome

    def _failed(self, write: Write, exc: BaseException, over_budget: bool) -> StoreError:
        """The error for a write SQLite would not take; its 503 is recorded when it can be."""
        reason = f"event not stored ({type(exc).__name__}), retry later"
        error = StoreError(reason)
        try:
            records = self._write_batch([Write(write.request, 503, reason)], over_budget)
        except _VALUE_ERRORS:
            return error  # the request itself is unstorable; the 503 is answered unrecorded
        error.record = records[0]  # type: ignore[attr-defined]
        return error


def _resolve(
    future: Future[RecordResult] | asyncio.Future[RecordResult] | None, outcome: Any
) -> None:
    """Resolve a future from any thread (an asyncio one on its own loop)."""
    if future is None:
        return
    if isinstance(future, asyncio.Future):
        try:
            future.get_loop().call_soon_threadsafe(_settle, [(future, outcome)])
        except RuntimeError:  # the loop closed meanwhile: nobody waits any more
            pass
    elif isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _resolve_all(batch: list[Write], outcomes: list[Outcome]) -> None:
    """Resolve every write's future: one wake-up per event loop, not one per write."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Outcome]]]
    by_loop = defaultdict(list)
    for write, outcome in zip(batch, outcomes, strict=True):
        future = write.future
        if isinstance(future, asyncio.Future):
            by_loop[future.get_loop()].append((future, outcome))
        else:
            _resolve(future, outcome)
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, pairs)
        except RuntimeError:  # the loop closed meanwhile: nobody waits any more
            pass


def _settle(pairs: list[tuple[asyncio.Future[Any], Outcome]]) -> None:
    """On the loop: set each future's outcome (a future already given up on is skipped)."""
    for future, outcome in pairs:
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


__all__ = ["MAX_BATCH", "GroupCommitWriter", "Outcome", "Write"]
