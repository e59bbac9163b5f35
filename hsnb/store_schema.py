"""The event store's schema: its tables as a new store gets them, and how an older store is
brought up to date (a step per version; the data steps are in :mod:`hsnb.store_migrations`).

Each schema version is written into the file (``PRAGMA user_version``). A store opened for
writing is brought up to date in one transaction, so it is migrated completely or not at all; a
store opened read-only is never migrated (readers handle every older schema as it is).
"""

from __future__ import annotations

import sqlite3

from hsnb import store_migrations as migrations
from hsnb.event_fields import FIELD_TYPES

SCHEMA_VERSION = 5

#: The tables and index of a new store (statements separated by ``;``).
SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    remote_ip TEXT,
    content_type TEXT,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    body_size INTEGER NOT NULL,
    status INTEGER NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'duplicate', 'rejected')),
    reason TEXT,
    event_key TEXT,
    event_type TEXT,
    verified_by TEXT,
    received_wall_at TEXT,
    body_codec TEXT,
    scripted TEXT,
    forwarded_status INTEGER,
    forwarded_body_excerpt TEXT,
    forwarded_duration REAL,
    forward_outcome TEXT
);
CREATE TABLE IF NOT EXISTS events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key TEXT NOT NULL UNIQUE,
    first_delivery_id INTEGER NOT NULL REFERENCES deliveries(delivery_id),
    received_at TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_time INTEGER NOT NULL,
    signature_request_id TEXT,
    verified INTEGER,
    payload TEXT NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 1,
    received_wall_at TEXT,
    payload_start INTEGER,
    payload_length INTEGER,
    {fields}
);
CREATE INDEX IF NOT EXISTS events_by_request ON events (signature_request_id, event_type);
""".format(fields=",\n    ".join(f"{name} {kind}" for name, kind in FIELD_TYPES.items()))
#: Schema changes from each version to the next (a store is brought up to date when opened).
MIGRATIONS: dict[int, tuple[migrations.Step, ...]] = {
    1: ("ALTER TABLE deliveries ADD COLUMN verified_by TEXT",),
    # received_at may be on an emulator's clock; the wall clock is kept beside it
    2: (
        "ALTER TABLE deliveries ADD COLUMN received_wall_at TEXT",
        "ALTER TABLE events ADD COLUMN received_wall_at TEXT",
    ),
    # a scripted answer's rule, and a relayed delivery's handler answer (hsnb.relay)
    3: (
        "ALTER TABLE deliveries ADD COLUMN scripted TEXT",
        "ALTER TABLE deliveries ADD COLUMN forwarded_status INTEGER",
        "ALTER TABLE deliveries ADD COLUMN forwarded_body_excerpt TEXT",
        "ALTER TABLE deliveries ADD COLUMN forwarded_duration REAL",
        "ALTER TABLE deliveries ADD COLUMN forward_outcome TEXT",
    ),
    # each callback kept once: the body compressed, the event's payload read back from it, and
    # the event's flat fields in columns (so frames are read without parsing JSON)
    4: migrations.KEEP_ONCE,
}


def bring_up_to_date(db: sqlite3.Connection, version: int) -> None:
    """Create the schema in a new store, or migrate an older one, in one transaction."""
    if version == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        if version == 0:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
        else:
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step]:
                    if callable(statement):  # a data migration
                        statement(db)
                    else:
                        db.execute(statement)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
