"""Data migrations of the event store: the steps that SQL alone cannot take.

A step of :data:`hsnb.store_schema.MIGRATIONS` is a tuple of SQL statements and functions of the
write connection, run in order inside the one transaction that brings a store up to date, so a
store is migrated completely or not at all. Each step is keyed by the version it starts from
and depends on nothing but the columns it adds, so renumbering a step is changing its key.
A store opened read-only is never migrated: readers handle every older schema as it is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from hsnb.errors import PayloadError
from hsnb.event_fields import FIELD_TYPES, FIELDS, event_fields
from hsnb.events import parse_event
from hsnb.records import unpack_body

#: One statement of a migration step: SQL, or a function of the write connection.
Step = str | Callable[[sqlite3.Connection], None]

#: Events migrated per query (the transaction is one; this bounds the rows held at once).
_BATCH = 5_000


def keep_each_callback_once(db: sqlite3.Connection) -> None:
    """Fill the event columns of a schema-3 store and read each payload back from its body.

    Each event's flat fields (:mod:`hsnb.event_fields`) are taken from its payload; a payload
    found verbatim in its first delivery's body is then kept only there (``payload`` becomes
    ``''`` with ``payload_start`` and ``payload_length``). Bodies stay as they were (raw): the
    space freed is reused by new rows, or given back by ``VACUUM``.
    """
    assignments = ", ".join(f"{name} = ?" for name in FIELDS)
    update = (
        f"UPDATE events SET payload = ?, payload_start = ?, payload_length = ?, {assignments}"
        " WHERE event_id = ?"
    )
    last = 0
    while True:
        rows = db.execute(
            "SELECT e.event_id, e.payload, d.body, d.body_codec FROM events e"
            " LEFT JOIN deliveries d ON d.delivery_id = e.first_delivery_id"
            " WHERE e.event_id > ? ORDER BY e.event_id LIMIT ?",
            (last, _BATCH),
        ).fetchall()
        if not rows:
            return
        changes = []
        for event_id, payload, body, codec in rows:
            try:
                fields = event_fields(parse_event(payload))
            except PayloadError:  # never stored by hsnb; kept as it is, its fields missing
                fields = (None,) * len(FIELDS)
            encoded = payload.encode()
            start = unpack_body(body, codec).find(encoded) if body is not None else -1
            if start >= 0:
                changes.append(("", start, len(encoded), *fields, event_id))
            else:
                changes.append((payload, None, None, *fields, event_id))
        db.executemany(update, changes)
        last = rows[-1][0]


#: Schema 4 to 5: each callback kept once, and the events' flat fields in columns.
KEEP_ONCE: tuple[Step, ...] = (
    "ALTER TABLE deliveries ADD COLUMN body_codec TEXT",
    "ALTER TABLE events ADD COLUMN payload_start INTEGER",
    "ALTER TABLE events ADD COLUMN payload_length INTEGER",
    *(f"ALTER TABLE events ADD COLUMN {name} {kind}" for name, kind in FIELD_TYPES.items()),
    keep_each_callback_once,
)
