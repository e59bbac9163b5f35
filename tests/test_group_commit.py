"""Group commit: callbacks share commits, each is acknowledged only after its own, and a locked
or slow store delays only the answers that wait for it (never the loop, never past 30 s).

Everything runs over real HTTP against real SQLite files; "locked" is another connection holding
the file's write lock, as another process would.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from hsnb.events import ACK_TEXT
from hsnb.listener import Listener
from hsnb.receiver import BUSY_TEXT, UNAVAILABLE_TEXT
from hsnb.store import EventStore
from tests.conftest import KEY, post_multipart, sent_payload

WAIT = 20.0  # every wait below is bounded by this many seconds


def ids(count: int) -> list[str]:
    return [f"{n:040x}" for n in range(count)]


def post_all(url: str, request_ids: list[str]) -> list[requests.Response]:
    """POST one signed callback per id, all at once (a thread each), in a real HTTP client."""
    with ThreadPoolExecutor(len(request_ids)) as pool:
        return list(pool.map(lambda rid: post_multipart(url, sent_payload(rid)), request_ids))


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT:g} s: {what}")
        time.sleep(0.01)


class Lock:
    """Another connection holding the store file's write lock (as another process would)."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("BEGIN IMMEDIATE")

        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.db.execute("ROLLBACK")
            self.db.close()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "events.sqlite"


@pytest.fixture
def lock(path: Path) -> Iterator[callable]:
    held: list[Lock] = []

    def take() -> Lock:
        held.append(Lock(path))
        return held[-1]

    yield take
    for one in held:
        one.release()


def test_callbacks_arriving_together_share_one_commit_and_all_are_stored(path, lock) -> None:
    store = EventStore(path, busy_timeout=WAIT)
    with Listener(store, api_keys=KEY, name="test-group") as listener:
        held = lock()  # the first write waits for the lock; the others queue behind it
        sender = ThreadPoolExecutor(1).submit(post_all, listener.url, ids(30))
        wait_until(
            lambda: store.writing and store.writing + store.pending == 30,
            "all 30 callbacks in the locked transaction or queued behind it",
        )
        held.release()
        answers = sender.result(WAIT)
    assert [(a.status_code, a.text) for a in answers] == [(200, ACK_TEXT)] * 30
    assert store.commits == 2  # the first transaction, then one for all that queued behind it
    assert sorted(s.event.signature_request_id for s in store.stored_events()) == ids(30)


def test_no_callback_is_acknowledged_before_its_own_commit(path, lock) -> None:
    store = EventStore(path, busy_timeout=WAIT)
    with Listener(store, api_keys=KEY, name="test-group") as listener:
        held = lock()
        answered: list[requests.Response] = []
        sender = threading.Thread(
            target=lambda: answered.append(post_multipart(listener.url, sent_payload()))
        )
        sender.start()
        wait_until(lambda: store.writing == 1, "its transaction waits for the lock")
        sender.join(0.5)
        assert answered == []  # still waiting: its transaction cannot commit yet
        held.release()
        sender.join(WAIT)
    assert answered[0].text == ACK_TEXT
    reader = EventStore(path, read_only=True)  # another connection sees it: it was committed
    assert len(reader) == 1


def test_a_locked_store_never_stalls_the_loop_other_servers_answer_meanwhile(path, lock) -> None:
    store = EventStore(path, busy_timeout=3)
    with (
        Listener(store, api_keys=KEY, name="test-group") as locked,
        Listener(api_keys=KEY, name="test-group-other") as other,
    ):
        lock()
        order: list[str] = []

        def send_to_locked() -> None:
            order.append(f"locked {post_multipart(locked.url, sent_payload()).status_code}")

        sender = threading.Thread(target=send_to_locked)
        sender.start()
        wait_until(lambda: store.writing == 1, "its transaction waits for the lock")
        other_answer = post_multipart(other.url, sent_payload())
        order.append(f"other {other_answer.status_code}")
        sender.join(WAIT)
    # the other listener on the same loop answered while the first waited for the lock
    assert order == ["other 200", "locked 503"]


def test_queued_callbacks_give_up_at_the_commit_bound_with_503_store_busy(path, lock) -> None:
    store = EventStore(path, busy_timeout=4)
    with Listener(store, api_keys=KEY, name="test-group", commit_timeout=0.5) as listener:
        lock()
        answers: list[tuple[str, requests.Response]] = []

        def send(rid: str) -> None:
            answers.append((rid, post_multipart(listener.url, sent_payload(rid))))

        first = threading.Thread(target=send, args=("f" * 40,))
        first.start()
        wait_until(lambda: store.writing == 1, "the first write's transaction began")
        queued = [threading.Thread(target=send, args=(rid,)) for rid in ids(5)]
        for thread in queued:
            thread.start()
        for thread in [*queued, first]:
            thread.join(WAIT)
    texts = [(rid[:1], answer.status_code, answer.text) for rid, answer in answers]
    # the five withdrawn from the queue answer first; the one in the locked transaction last
    assert texts == [("0", 503, BUSY_TEXT)] * 5 + [("f", 503, UNAVAILABLE_TEXT)]
    assert ACK_TEXT not in "".join(t for *_, t in texts)
    assert len(EventStore(path, read_only=True)) == 0


def test_a_store_locked_by_another_process_answers_every_waiting_callback_in_time(
    path, lock
) -> None:
    """D6: each callback used to wait out its own busy timeout in series on the loop thread."""
    busy = 1.0
    store = EventStore(path, busy_timeout=busy)
    with Listener(store, api_keys=KEY, name="test-group") as listener:
        lock()
        started = time.monotonic()
        answers = post_all(listener.url, ids(8))
        slowest = time.monotonic() - started
    assert {(a.status_code, a.text) for a in answers} == {(503, UNAVAILABLE_TEXT)}
    # in series the eighth would answer after 8 busy timeouts; shared, after about two
    assert slowest < 4 * busy


def test_after_the_lock_is_released_callbacks_are_acknowledged_again(path, lock) -> None:
    store = EventStore(path, busy_timeout=0.2)
    with Listener(store, api_keys=KEY, name="test-group") as listener:
        held = lock()
        refused = post_multipart(listener.url, sent_payload("a" * 40))
        held.release()
        retried = post_multipart(listener.url, sent_payload("a" * 40))
    assert (refused.status_code, retried.status_code, retried.text) == (503, 200, ACK_TEXT)
    assert [r["verdict"] for r in EventStore(path, read_only=True).delivery_rows()] == ["accepted"]


def test_an_in_memory_store_reads_while_its_writer_writes() -> None:
    with Listener(api_keys=KEY, name="test-group-memory") as listener:
        answers = post_all(listener.url, ids(20))
        assert {a.text for a in answers} == {ACK_TEXT}
        assert len(listener.events()) == 20 and len(listener.deliveries()) == 20
        assert listener.wait_for("signature_request_sent", timeout=WAIT).event_type
