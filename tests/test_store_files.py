"""Which files may be an event store: damaged, foreign and misplaced ones are refused at open with
one line, and left exactly as they were; an older store is brought up to date.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hsnb.analysis import read_log
from hsnb.errors import StoreError
from hsnb.listener import Listener
from hsnb.store import SCHEMA_VERSION, EventStore
from tests.conftest import KEY, post_multipart, sent_payload


def hsnb(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``hsnb`` command; it must give up at once (each case here is refused at start)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DROPBOX_SIGN", "HSNB_"))}
    return subprocess.run(
        [sys.executable, "-m", "hsnb.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def files_of(path: Path) -> dict[str, bytes]:
    """The store file and any -wal/-shm beside it, by name."""
    return {p.name: p.read_bytes() for p in path.parent.glob(path.name + "*")}


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """A store of 300 events with 8 KiB of its middle overwritten."""
    path = tmp_path / "events.sqlite"
    with Listener(path, api_keys=KEY, name="test-files") as listener:
        for n in range(300):
            post_multipart(listener.url, sent_payload(f"{n:040x}"))
    listener.store.close()
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(size // 2 // 4096 * 4096)
        file.write(os.urandom(8192))
    return path


def test_a_damaged_store_is_refused_at_start_in_one_line(damaged: Path) -> None:
    before = files_of(damaged)
    done = hsnb("listen", "--store", str(damaged), "--api-key", KEY)
    assert done.returncode == 2
    assert "listening" not in done.stdout
    [line] = done.stderr.splitlines()
    assert line.startswith(f"hsnb: cannot open event store {damaged}: it is damaged (")
    assert files_of(damaged) == before


def test_a_damaged_store_is_refused_by_every_reader(damaged: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="it is damaged"):
        EventStore(damaged, read_only=True)
    with pytest.raises(StoreError, match="it is damaged"):
        read_log(damaged)
    done = hsnb("export", str(damaged), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1


def test_another_programs_database_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO customers (name) VALUES ('Ann')")
    db.commit()
    db.close()
    before = files_of(path)
    done = hsnb("listen", "--store", str(path))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"hsnb: cannot open event store {path}: it is another program's database "
        "(tables: customers)"
    )
    assert files_of(path) == before  # no tables added, not switched to WAL, no -wal file
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_file_that_is_not_sqlite_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my notes\n" * 100)
    with pytest.raises(StoreError, match="it is not an SQLite database"):
        EventStore(path)
    assert path.read_text() == "my notes\n" * 100


def test_a_store_path_under_a_regular_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    target = tmp_path / "notes.txt" / "events.sqlite"
    done = hsnb("listen", "--store", str(target))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"hsnb: cannot open event store {target}: {tmp_path / 'notes.txt'} is a file, not a folder"
    )


def test_a_folder_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="it is a folder"):
        EventStore(tmp_path)


#: A store as schema 4 wrote it (the sample log's first 30 deliveries, before each callback was
#: kept once): the oldest data layout, from which the older schemas are made by dropping columns.
SCHEMA_4_STORE = Path(__file__).parent / "fixtures" / "stores" / "schema-4.sqlite"
#: The columns each older schema lacked, from the newest back (schema 5 added columns and
#: moved data: :func:`test_a_schema_4_store_is_migrated_to_keep_each_callback_once`).
_ADDED_AFTER = {
    3: (
        "deliveries.scripted",
        "deliveries.forwarded_status",
        "deliveries.forwarded_body_excerpt",
        "deliveries.forwarded_duration",
        "deliveries.forward_outcome",
    ),
    2: ("deliveries.received_wall_at", "events.received_wall_at"),
    1: ("deliveries.verified_by",),
}


def older_store(path: Path, version: int) -> Path:
    """A copy of the schema-4 store as schema ``version`` (at most 4) wrote it."""
    shutil.copy(SCHEMA_4_STORE, path)
    db = sqlite3.connect(path, isolation_level=None)
    for step in range(3, version - 1, -1):
        for column in _ADDED_AFTER[step]:
            table, name = column.split(".")
            db.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
    db.execute(f"PRAGMA user_version={version}")
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    return path


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_an_older_store_is_read_as_it_is_and_brought_up_to_date_for_writing(
    tmp_path: Path, version: int
) -> None:
    old = older_store(tmp_path / "old.sqlite", version)
    before = old.read_bytes()
    log = read_log(old)
    assert old.read_bytes() == before  # reading changes nothing
    assert len(log.events) == 28 and len(log.deliveries) == 30
    if version < 3:  # before schema 3 no store said which clock its times are on: wall
        assert set(log.deliveries["received_clock"]) == {"wall"}
        assert log.deliveries["received_wall_at"].equals(log.deliveries["received_at"])
    else:
        assert set(log.deliveries["received_clock"]) == {"emulated"}
    if version < 4:  # no scripted answers and no relay before schema 4
        assert log.deliveries["scripted"].isna().all()
    assert log.deliveries["forward_outcome"].isna().all()
    store = EventStore(old)
    assert len(store) == len(log.events)
    pd.testing.assert_frame_equal(read_log(store).events, log.events)
    row = store.delivery_rows()[0]
    assert {"verified_by", "received_wall_at", "scripted", "forward_outcome"} <= set(row)
    store.close()
    assert sqlite3.connect(old).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_schema_4_store_is_migrated_to_keep_each_callback_once(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    shutil.copy(SCHEMA_4_STORE, old)
    before = EventStore(old, read_only=True)
    payloads = [row["payload"] for row in before.event_rows()]
    bodies = [row["body"] for row in before.delivery_rows(with_body=True)]
    before.close()
    store = EventStore(old)
    # each payload is kept once now: read back from its first delivery's body, byte for byte
    assert [row["payload"] for row in store.event_rows()] == payloads
    assert [row["body"] for row in store.delivery_rows(with_body=True)] == bodies
    assert [s.event.to_json() for s in store.stored_events()] == payloads
    store.close()
    db = sqlite3.connect(old)
    assert db.execute("SELECT count(*) FROM events WHERE payload != ''").fetchone() == (0,)
    db.execute("VACUUM")
    db.close()
    assert old.stat().st_size < SCHEMA_4_STORE.stat().st_size * 0.75
