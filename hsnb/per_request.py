"""The life-cycle table as two steps per signature request, so every engine computes it alike.

1. :func:`request_steps` reduces a request's events to one row (:data:`STEP_COLUMNS`): when each
   step was first seen, the last event, counts. It is a group-by per ``signature_request_id``
   whose result does not depend on the order of the rows, so it runs on any set of rows that
   holds all of a request's events: a whole frame, or one partition of a Dask frame shuffled
   by request (:mod:`hsnb.logs.cluster`). DuckDB computes the same reduction in SQL
   (:mod:`hsnb.logs.embedded`), and tests hold the three to the same rows.
2. :func:`lifecycle_of_steps` reads those rows: the final state, the durations, what the events
   cannot say (``problems``). It is row by row, shared by every engine as it is.

:func:`lifecycle` is both, ordered by each request's first event.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hsnb.frames import UTC_TIME, conform

DURATION = "timedelta64[us]"

#: Request states as the life-cycle table reports them (the emulator's names; ``processing``
#: never shows: a request appears with its first event, after processing).
STATE_DTYPE = pd.CategoricalDtype(
    ["awaiting_signature", "complete", "declined", "canceled", "expired", "error"]
)

#: Processing failures: any of these ends a request in state ``error``.
ERROR_EVENT_TYPES = ("file_error", "unknown_error", "signature_request_invalid")

#: Which event types each step's first-seen time is taken from.
FIRST_SEEN: dict[str, tuple[str, ...]] = {
    "sent_at": ("signature_request_sent",),
    "error_at": ERROR_EVENT_TYPES,
    "viewed_at": ("signature_request_viewed",),
    "signed_at": ("signature_request_signed",),
    "all_signed_at": ("signature_request_all_signed",),
    "downloadable_at": ("signature_request_downloadable",),
    "declined_at": ("signature_request_declined",),
    "canceled_at": ("signature_request_canceled",),
}

#: Columns of :func:`request_steps`: one row per request. ``first_event_at`` orders the
#: table; ``title`` and ``signers`` are those of the request's last event that has them (by
#: ``event_id``, the order of arrival); ``signed`` counts distinct signers with a
#: ``signature_request_signed`` event; ``expired``: whether it has an ``expired`` event.
STEP_COLUMNS: dict[str, Any] = {
    "signature_request_id": "string",
    "title": "string",
    "signers": "Int64",
    "signed": "Int64",
    "events": "Int64",
    "expired": "boolean",
    "first_event_at": UTC_TIME,
    "created_at": UTC_TIME,
    **{column: UTC_TIME for column in FIRST_SEEN},
    "last_event_at": UTC_TIME,
}

#: Columns of :func:`lifecycle`: one row per signature request, first-seen ``event_time`` of
#: each step, and the durations between them.
LIFECYCLE_COLUMNS: dict[str, Any] = {
    "signature_request_id": "string",
    "title": "string",
    "final_state": STATE_DTYPE,
    "signers": "Int64",
    "signed": "Int64",
    "events": "Int64",
    "created_at": UTC_TIME,
    **{column: UTC_TIME for column in FIRST_SEEN},
    "last_event_at": UTC_TIME,
    "processing": DURATION,
    "signing": DURATION,
    "download_lag": DURATION,
    "problems": "string",
}


#: The columns :func:`request_steps` reads, when present (what a reader of a large log needs).
STEP_INPUT = (
    "event_id",
    "signature_request_id",
    "event_type_raw",
    "event_time",
    "title",
    "created_at",
    "signer_count",
    "related_signature_id",
)


def request_steps(events: pd.DataFrame) -> pd.DataFrame:
    """One row per signature request of ``events`` (:data:`STEP_COLUMNS`), in no set order.

    Events without a signature request are left out. Needs ``signature_request_id``,
    ``event_type_raw`` and ``event_time``; ``event_id``, ``title``, ``created_at``,
    ``signer_count`` and ``related_signature_id`` are used when present.
    """
    used = [name for name in STEP_INPUT if name in events]
    keep = events["signature_request_id"].notna()
    # only the columns used are copied (a million events: tens of MB, not the whole frame)
    scoped = events[used] if keep.all() else events.loc[keep, used]
    if "event_id" in scoped and not scoped["event_id"].is_monotonic_increasing:
        scoped = scoped.sort_values("event_id", kind="stable")
    codes, ids = pd.factorize(scoped["signature_request_id"])
    count = len(ids)
    types = scoped["event_type_raw"]
    times = scoped["event_time"].astype(UTC_TIME)
    when = {"first_event_at": times}
    for column, event_types in FIRST_SEEN.items():
        when[column] = times.where(types.isin(event_types))
    if "created_at" in scoped:
        when["created_at"] = scoped["created_at"].astype(UTC_TIME)
    grouped = pd.DataFrame(when).groupby(codes)
    table = grouped.min().reindex(range(count))
    table["last_event_at"] = times.groupby(codes).max().reindex(range(count))
    for column, source in (("title", "title"), ("signers", "signer_count")):
        if source in scoped:
            table[column] = scoped[source].groupby(codes).last().reindex(range(count))
    table["events"] = np.bincount(codes, minlength=count)
    expired = (types == "signature_request_expired").fillna(False).to_numpy(float)
    table["expired"] = np.bincount(codes, expired, count) > 0
    table["signed"] = _signers_who_signed(scoped, codes, count)
    table["signature_request_id"] = ids
    return conform(table, STEP_COLUMNS)


def _signers_who_signed(scoped: pd.DataFrame, codes: np.ndarray, count: int) -> np.ndarray:
    if "related_signature_id" not in scoped:
        return np.zeros(count, dtype=np.int64)
    signed = (scoped["event_type_raw"] == "signature_request_signed").fillna(False).to_numpy(bool)
    signers = pd.DataFrame(
        {"request": codes[signed], "signer": scoped["related_signature_id"].to_numpy()[signed]}
    )
    distinct = signers.dropna().drop_duplicates()
    return np.bincount(distinct["request"].to_numpy(np.int64), minlength=count)


def lifecycle_of_steps(steps: pd.DataFrame, *, order: bool = True) -> pd.DataFrame:
    """The life-cycle table (:data:`LIFECYCLE_COLUMNS`) from :func:`request_steps` rows.

    ``order``: sort by each request's first event, then id (as :func:`lifecycle` does); a
    partition of a larger table leaves that to whoever gathers the partitions.
    """
    table = steps
    if order:
        table = table.sort_values(["first_event_at", "signature_request_id"], kind="stable")
    table = table.assign(
        final_state=_final_states(table),
        processing=table["sent_at"].fillna(table["error_at"]) - table["created_at"],
        signing=table["all_signed_at"] - table["sent_at"],
        download_lag=table["downloadable_at"] - table["all_signed_at"],
    )
    table["problems"] = _problems(table)
    return conform(table, LIFECYCLE_COLUMNS)


def lifecycle(events: pd.DataFrame) -> pd.DataFrame:
    """One row per signature request: when each step was first seen, and how long steps took.

    Times are first-seen ``event_time`` values (the service's clock, whole seconds); retries
    and the account/app copies of one event do not move them. ``created_at`` and ``signers``
    come from the payloads (the events frame's ``created_at`` and ``signer_count``
    columns) and are missing when the frame lacks them. ``signed`` counts
    distinct signers with a ``signature_request_signed`` event. Durations:

    * ``processing``: ``created_at`` to the end of document processing (``sent_at``, or
      ``error_at`` for a request whose files failed);
    * ``signing``: ``sent_at`` to ``all_signed_at``;
    * ``download_lag``: ``all_signed_at`` to ``downloadable_at``.

    Rows are ordered by the request's first event. Events without a signature request
    (``callback_test``, account or template events) are left out. Duplicated events do not
    count twice and the order events arrived in does not matter (times are ``event_time``); what
    the table cannot place is said in ``problems`` (e.g. ``no sent event``, ``signed before
    sent``), never guessed.
    """
    return lifecycle_of_steps(request_steps(events))


def _problems(table: pd.DataFrame) -> pd.Series:
    """What a request's events cannot say, one phrase per rule (missing: nothing wrong)."""
    sent, signed, all_signed = table["sent_at"], table["signed_at"], table["all_signed_at"]
    acted = table["viewed_at"].notna() | signed.notna() | table["declined_at"].notna()
    short = all_signed.notna() & (table["signed"] < table["signers"])
    rules = [
        (sent.isna() & table["error_at"].isna() & acted, "no sent event"),
        (signed < sent, "signed before sent"),
        (table["viewed_at"] < sent, "viewed before sent"),
        (all_signed < signed, "all_signed before the first signature"),
        (table["downloadable_at"] < all_signed, "downloadable before all_signed"),
        (all_signed.notna() & signed.isna(), "all_signed without a signed event"),
        (short, "all_signed with signatures missing"),
    ]
    found = pd.Series("", index=table.index, dtype="object")
    for condition, text in rules:
        hit = condition.fillna(False).astype(bool).to_numpy()
        if hit.any():
            found[hit] = found[hit] + "; " + text
    return found.str.removeprefix("; ").replace("", pd.NA).astype("string")


def _final_states(table: pd.DataFrame) -> pd.Categorical:
    """The state each request ended in, the strongest evidence first."""
    choices = [
        (table["error_at"].notna(), "error"),
        (table["canceled_at"].notna(), "canceled"),
        (table["declined_at"].notna(), "declined"),
        (table["expired"].fillna(False), "expired"),
        (table["all_signed_at"].notna() | table["downloadable_at"].notna(), "complete"),
    ]
    conditions = [np.asarray(c, dtype=bool) for c, _ in choices]
    states = np.select(conditions, [s for _, s in choices], "awaiting_signature")
    return pd.Categorical(states, dtype=STATE_DTYPE)
