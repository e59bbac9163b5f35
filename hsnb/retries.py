"""Retries, duplicates and lost attempts, counted from a log: what a listener saw, and, when the
log comes from an emulator, what the emulator sent.

A listener alone cannot count what never reached it: an attempt lost on the way leaves no
delivery. The emulator logs every attempt it made (``Emulator.deliveries()``, schema
:data:`hsnb.frames.ATTEMPT_COLUMNS`) and names it on the wire (``X-Hsnb-Attempt``), so
:func:`attempt_view` joins the two: one row per attempt, with what became of it.

>>> from hsnb.analysis import read_log
>>> retry_stats(*read_log()).deliveries
0
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hsnb.events import EVENT_ORDER
from hsnb.frames import ATTEMPT_COLUMNS, UTC_TIME, to_frame

#: What became of one attempt, as both ends saw it.
FATES = (
    "acknowledged",  # the receiver stored it and the sender counted the ACK
    "not_acknowledged",  # the receiver stored it, the answer did not count (wrong text, late)
    "refused",  # the receiver refused it (4xx, 5xx)
    "lost",  # it never reached the receiver (connection broken, dropped)
)
FATE_DTYPE = pd.CategoricalDtype(list(FATES))

#: Columns of :func:`attempt_view`: the emulator's attempt, then what the listener made of it.
ATTEMPT_VIEW_COLUMNS: dict[str, Any] = {
    **ATTEMPT_COLUMNS,
    "fate": FATE_DTYPE,
    "received": "boolean",
    "listener_delivery_id": "Int64",
    "received_at": UTC_TIME,
    "listener_status": "Int64",
    "verdict": pd.CategoricalDtype(["accepted", "duplicate", "rejected"]),
}

#: Columns of :attr:`RetryStats.by_type` (indexed by ``event_type``).
RETRY_COLUMNS: dict[str, Any] = {
    "event_type": "string",
    "events": "Int64",
    "deliveries": "Int64",
    "duplicates": "Int64",
    "retried_events": "Int64",
    "max_deliveries": "Int64",
}

#: Columns of :attr:`RetryStats.rejected`: refused deliveries counted by status and reason.
REJECTION_COLUMNS: dict[str, Any] = {
    "status": "Int64",
    "reason": "string",
    "deliveries": "Int64",
    "first_received_at": UTC_TIME,
    "last_received_at": UTC_TIME,
}


def attempt_view(attempts: pd.DataFrame, deliveries: pd.DataFrame) -> pd.DataFrame:
    """One row per emulator attempt (:data:`ATTEMPT_VIEW_COLUMNS`), joined to the listener's
    delivery it became (by ``emulator_attempt``), with its :data:`FATES` ``fate``."""
    key = attempts["delivery_id"].astype("string") + "." + attempts["attempt"].astype("string")
    received = deliveries[deliveries["emulator_attempt"].notna()]
    received = received.drop_duplicates("emulator_attempt", keep="first").set_index(
        "emulator_attempt"
    )
    joined = attempts.assign(
        received=key.isin(received.index),
        listener_delivery_id=key.map(received["delivery_id"]),
        received_at=key.map(received["received_at"]),
        listener_status=key.map(received["status"]),
        verdict=key.map(received["verdict"].astype("string")),
    )
    stored = joined["verdict"].isin(["accepted", "duplicate"])
    fate = pd.Series("lost", index=joined.index, dtype="object")
    fate[joined["received"] & ~stored.fillna(False)] = "refused"
    fate[stored.fillna(False)] = "not_acknowledged"
    fate[joined["outcome"] == "acknowledged"] = "acknowledged"
    joined["fate"] = fate
    return to_frame(joined.to_dict("records"), ATTEMPT_VIEW_COLUMNS)


@dataclass(frozen=True)
class RetryStats:
    """What :func:`retry_stats` found: per-type retry counts, refusals, and the totals.

    ``by_type`` has one row per event type (:data:`RETRY_COLUMNS`); ``rejected`` one row per
    status and reason (:data:`REJECTION_COLUMNS`). With the emulator's attempts: ``attempts``
    (every POST it made), ``lost`` (never received), ``not_acknowledged`` (stored, but the
    answer did not count) and ``dead`` (deliveries given up after the last retry); else
    ``None``. ``retries``: attempts after the first of their delivery.
    """

    by_type: pd.DataFrame
    rejected: pd.DataFrame
    accepted: int
    duplicates: int
    refused: int
    attempts: int | None = None
    retries: int | None = None
    lost: int | None = None
    not_acknowledged: int | None = None
    dead: int | None = None

    @property
    def events(self) -> int:
        """Logical events stored."""
        return self.accepted

    @property
    def deliveries(self) -> int:
        """Every HTTP request received: accepted, duplicate and refused."""
        return self.accepted + self.duplicates + self.refused

    @property
    def duplicate_rate(self) -> float:
        """Share of well-formed deliveries that repeated an event already stored."""
        received = self.accepted + self.duplicates
        return self.duplicates / received if received else 0.0

    @property
    def deliveries_per_event(self) -> float:
        """Well-formed deliveries per logical event (1.0: nothing was sent twice)."""
        return (self.accepted + self.duplicates) / self.accepted if self.accepted else 0.0

    def __repr__(self) -> str:
        lines = [
            f"RetryStats: {self.events} events from {self.deliveries} deliveries "
            f"({self.accepted} accepted, {self.duplicates} duplicate, {self.refused} refused)",
            f"  deliveries per event {self.deliveries_per_event:.3f}, "
            f"duplicate rate {self.duplicate_rate:.1%}",
        ]
        if self.attempts is not None:
            lines.append(
                f"  the sender made {self.attempts} attempts ({self.retries} retries): "
                f"{self.lost} lost on the way, {self.not_acknowledged} stored but not "
                f"acknowledged, {self.dead} given up"
            )
        for row in self.rejected.itertuples(index=False):
            lines.append(f"  refused {row.deliveries} x HTTP {row.status}: {row.reason}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def retry_stats(
    events: pd.DataFrame, deliveries: pd.DataFrame, attempts: pd.DataFrame | None = None
) -> RetryStats:
    """Deliveries per event, duplicates and refusals, from one log's frames; with the
    emulator's ``attempts`` also what the listener never saw (:func:`attempt_view`).

    Duplicates are retries (or copies) of an event already stored; a retry after a refused or
    lost attempt is not a duplicate (the listener stored the event only once it was accepted).
    """
    records = []
    for event_type in _ordered(events["event_type_raw"].dropna().unique()):
        counts = events.loc[events["event_type_raw"] == event_type, "deliveries"].fillna(1)
        records.append(
            {
                "event_type": event_type,
                "events": len(counts),
                "deliveries": int(counts.sum()),
                "duplicates": int((counts - 1).sum()),
                "retried_events": int((counts > 1).sum()),
                "max_deliveries": int(counts.max()),
            }
        )
    by_type = to_frame(records, RETRY_COLUMNS).set_index("event_type")
    verdicts = deliveries["verdict"].value_counts()
    extra: dict[str, Any] = {}
    if attempts is not None:
        view = attempt_view(attempts, deliveries)
        fates = view["fate"].value_counts()
        last = view.sort_values("attempt").drop_duplicates("delivery_id", keep="last")
        extra = {
            "attempts": len(view),
            "lost": int(fates.get("lost", 0)),
            "not_acknowledged": int(fates.get("not_acknowledged", 0)),
            "dead": int((last["outcome"] != "acknowledged").sum()),
            "retries": int((view["attempt"] > 1).sum()),
        }
    return RetryStats(
        by_type=by_type,
        rejected=_rejections(deliveries),
        accepted=int(verdicts.get("accepted", 0)),
        duplicates=int(verdicts.get("duplicate", 0)),
        refused=int(verdicts.get("rejected", 0)),
        **extra,
    )


def _rejections(deliveries: pd.DataFrame) -> pd.DataFrame:
    refused = deliveries[deliveries["verdict"] == "rejected"]
    records = [
        {
            "status": status,
            "reason": reason,
            "deliveries": len(group),
            "first_received_at": group["received_at"].min(),
            "last_received_at": group["received_at"].max(),
        }
        for (status, reason), group in refused.groupby(["status", "reason"], dropna=False)
    ]
    records.sort(key=lambda r: (-r["deliveries"], r["status"], str(r["reason"])))
    return to_frame(records, REJECTION_COLUMNS)


def _ordered(event_types: Iterable[str]) -> list[str]:
    rank = {t: i for i, t in enumerate(EVENT_ORDER)}
    return sorted(event_types, key=lambda t: (rank.get(t, len(rank)), t))
