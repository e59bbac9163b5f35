"""Which files may become an event store, decided before anything is written to them.

A path is usable when nothing is there yet (or an empty file), or when it holds a sound event
store that hsnb wrote: an SQLite file whose ``user_version`` is a schema hsnb knows and whose
tables are only hsnb's. Anything else (another program's database, a damaged file, a text file,
a folder, a path under a regular file) is refused with one line saying why, and is left exactly
as it was: the checks read through a read-only connection, so hsnb never adds its tables to
someone else's database or switches it to WAL before refusing it.

The integrity check is SQLite's ``PRAGMA quick_check`` (every page and record is read, indexes
are not cross-checked), so a store damaged in the middle is refused at open rather than
acknowledging callbacks into a file that later reads cannot use.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hsnb.errors import StoreError

#: The first 16 bytes of every SQLite 3 database file.
SQLITE_HEADER = b"SQLite format 3\x00"
#: The tables an event store holds (``sqlite_sequence`` comes with AUTOINCREMENT).
STORE_TABLES = frozenset({"deliveries", "events", "sqlite_sequence"})


def read_only_uri(path: Path) -> str:
    """The ``file:`` URI that opens ``path`` for reading only."""
    return path.resolve().as_uri() + "?mode=ro"


def prepare_path(path: Path, *, read_only: bool) -> bool:
    """Check where a store file goes; create its folder when writing. Return whether it exists.

    Raises :class:`StoreError` (one line) for a folder at ``path``, a regular file where a
    folder should be, a folder that cannot be created, or a missing file opened read-only.
    """
    for ancestor in path.parents:
        if ancestor.exists() and not ancestor.is_dir():
            raise StoreError(f"cannot open event store {path}: {ancestor} is a file, not a folder")
    if path.is_dir():
        raise StoreError(f"cannot open event store {path}: it is a folder")
    if path.exists():
        return path.stat().st_size > 0
    if read_only:
        raise StoreError(f"cannot open event store {path} read-only: no such file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder of event store {path}: {exc.strerror}") from exc
    return False


def check_store_file(path: Path, schema_version: int, *, busy_timeout: float) -> int:
    """Refuse a file that is not a sound hsnb event store; return its schema version.

    Reads only (a read-only connection). Raises :class:`StoreError` with one line: not an
    SQLite database, damaged (what ``quick_check`` found first), a newer schema, or another
    program's database (the tables it holds).
    """
    with path.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise StoreError(f"cannot open event store {path}: it is not an SQLite database")
    # immutable: read the file as it is, creating no -wal/-shm beside it; only when a -wal is
    # left over (a crash) must it be read too, through an ordinary read-only connection
    wal = path.with_name(path.name + "-wal")
    uri = read_only_uri(path) + ("" if wal.exists() else "&immutable=1")
    try:
        db = sqlite3.connect(uri, uri=True, timeout=busy_timeout)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open event store {path}: {exc}") from exc
    try:
        problems = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise StoreError(f"cannot open event store {path}: it is damaged ({problems[0]})")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open event store {path}: it is damaged ({exc})") from exc
    finally:
        db.close()
    foreign = sorted(tables - STORE_TABLES)
    if foreign or (tables and version == 0):
        shown = ", ".join(foreign or sorted(tables))
        raise StoreError(
            f"cannot open event store {path}: it is another program's database (tables: {shown})"
        )
    if version > schema_version:
        raise StoreError(
            f"cannot open event store {path}: it has schema {version}, newer than this hsnb's"
            f" {schema_version}"
        )
    if version and not {"deliveries", "events"} <= tables:
        raise StoreError(f"cannot open event store {path}: it is damaged (its tables are missing)")
    return version
