"""Synthetic event logs of any size, drawn in vectors: for benchmarks and scale tests only.

The model is the simulation's default workload (:class:`hsnb.simulation.Workload`) without the
emulator: requests arrive as a Poisson process; each has 1 to 3 signers (shares 0.5, 0.35,
0.15); a few documents fail processing (``file_error``); document processing, opening and
signing take log-normal times with the workload's medians; a few signers decline or never act
(their request expires after three days); a complete request gets ``all_signed`` and
``downloadable``; each callback arrives a log-normal 1.5 s after its event, and a few are
delivered twice (``deliveries``). Ten million events take a minute, in batches of requests,
never all in memory (:func:`synthetic_batches`).

Every log made here is labelled: titles start with ``[synthetic]`` and Parquet files written
from it carry ``hsnb.synthetic`` in their metadata. It is not what Dropbox Sign sends; the
real emulator's logs come from :func:`hsnb.simulate`.

>>> frame = synthetic_events(1_000, seed=1)
>>> len(frame), frame["title"].str.startswith("[synthetic]").all()
(1000, np.True_)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from hsnb.frames import EVENT_COLUMNS
from hsnb.logs.schema import arrow_table, to_pandas

#: 2026-01-01T00:00:00Z, the emulator's default epoch.
START = 1_767_225_600
#: Requests per emulated day (a busy account).
REQUESTS_PER_DAY = 20_000
_TITLES = ("Mutual NDA", "Offer letter", "Lease renewal", "Contractor agreement", "Invoice")
_SIGNERS = (
    ("Jack Doe", "jack@example.com"),
    ("Jill Doe", "jill@example.com"),
    ("Joan Doe", "joan@example.com"),
)
_ACCOUNT = "a" * 40
#: Events per request, on average, under this model (to size a batch of requests).
_EVENTS_PER_REQUEST = 6.1


def synthetic_events(events: int, *, seed: int = 0) -> pd.DataFrame:
    """A synthetic events frame (:data:`~hsnb.frames.EVENT_COLUMNS`) of exactly ``events`` rows."""
    return to_pandas(list(synthetic_batches(events, seed=seed)), EVENT_COLUMNS)


def synthetic_batches(
    events: int, *, seed: int = 0, batch_requests: int = 50_000
) -> Iterator[pa.RecordBatch]:
    """``events`` synthetic events as Arrow batches of the events schema, in arrival order
    within each batch of ``batch_requests`` requests; ``event_id`` counts from 1."""
    rng = np.random.default_rng(seed)
    made, first_request, clock = 0, 0, float(START)
    while made < events:
        frame, clock = _requests(rng, batch_requests, first_request, clock)
        frame = frame.iloc[: events - made]
        frame["event_id"] = np.arange(made + 1, made + 1 + len(frame))
        made += len(frame)
        first_request += batch_requests
        yield from arrow_table(frame, EVENT_COLUMNS).to_batches()


def _lognormal(rng: np.random.Generator, median: float, sigma: float, size: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(size))


def _requests(
    rng: np.random.Generator, count: int, first: int, clock: float
) -> tuple[pd.DataFrame, float]:
    """The events of ``count`` requests arriving after ``clock``, sorted by arrival."""
    created = clock + np.cumsum(rng.exponential(86_400 / REQUESTS_PER_DAY, count))
    signers = rng.choice([1, 2, 3], size=count, p=[0.5, 0.35, 0.15])
    failed = rng.random(count) < 0.04
    ready = created + _lognormal(rng, 40, 0.5, count)
    # one row per (request, signer)
    owner = np.repeat(np.arange(count), signers)
    order = np.arange(len(owner)) - np.repeat(np.cumsum(signers) - signers, signers)
    action = rng.choice(3, size=len(owner), p=[0.92, 0.05, 0.03])  # sign, decline, never
    viewed = ready[owner] + _lognormal(rng, 600, 1.0, len(owner))
    acted = viewed + _lognormal(rng, 120, 0.7, len(owner))
    live = ~failed[owner]
    declined_at = np.full(count, np.inf)
    np.minimum.at(declined_at, owner[live & (action == 1)], acted[live & (action == 1)])
    # after a decline nobody acts any more
    acts = live & (action != 2) & (acted <= declined_at[owner])
    views = live & (action != 2) & (viewed <= declined_at[owner])
    idle = np.zeros(count, dtype=bool)
    idle[owner[live & (action == 2)]] = True
    complete = ~failed & ~idle & np.isinf(declined_at)
    all_signed = np.full(count, -np.inf)
    np.maximum.at(all_signed, owner[acts], acted[acts])
    expired = ~failed & idle & np.isinf(declined_at)
    parts = [
        _rows(np.flatnonzero(~failed), ready, "signature_request_sent"),
        _rows(np.flatnonzero(failed), ready, "file_error"),
        _rows(np.flatnonzero(complete), all_signed, "signature_request_all_signed"),
        _rows(
            np.flatnonzero(complete),
            all_signed + _lognormal(rng, 3, 0.4, count),
            "signature_request_downloadable",
        ),
        _rows(np.flatnonzero(expired), created + 3 * 86_400, "signature_request_expired"),
        _rows(owner[views], viewed[views], "signature_request_viewed", order[views]),
        _rows(
            owner[acts & (action == 0)],
            acted[acts & (action == 0)],
            "signature_request_signed",
            order[acts & (action == 0)],
        ),
        _rows(
            owner[acts & (action == 1)],
            acted[acts & (action == 1)],
            "signature_request_declined",
            order[acts & (action == 1)],
        ),
    ]
    rows = pd.concat(parts, ignore_index=True)
    rows["event_time"] = np.floor(rows["time"])
    received = rows["time"] + _lognormal(rng, 1.5, 0.5, len(rows))
    rows = rows.assign(received=received).sort_values("received", kind="stable")
    return _frame(rng, rows, first, created, signers), float(created[-1])


def _rows(
    request: np.ndarray, times: np.ndarray, event_type: str, signer: np.ndarray | None = None
) -> pd.DataFrame:
    at = times if len(times) == len(request) else times[request]
    return pd.DataFrame(
        {
            "request": request,
            "time": at,
            "event_type": event_type,
            "signer": np.full(len(request), -1) if signer is None else signer,
        }
    )


def _frame(
    rng: np.random.Generator,
    rows: pd.DataFrame,
    first: int,
    created: np.ndarray,
    signers: np.ndarray,
) -> pd.DataFrame:
    request = rows["request"].to_numpy()
    signer = rows["signer"].to_numpy()
    numbers = request + first
    ids = pd.Series([f"{n:040x}" for n in range(first, first + len(created))], dtype="string")
    with_signer = signer >= 0
    signature = pd.Series(pd.NA, index=range(len(rows)), dtype="string")
    signature[with_signer] = [
        f"{n:030x}{s:02x}" for n, s in zip(numbers[with_signer], signer[with_signer], strict=True)
    ]
    event_type = rows["event_type"].to_numpy()
    names = np.array([name for name, _ in _SIGNERS] + [None], dtype=object)
    emails = np.array([email for _, email in _SIGNERS] + [None], dtype=object)
    status = np.where(
        event_type == "signature_request_signed",
        "signed",
        np.where(event_type == "signature_request_declined", "declined", "awaiting_signature"),
    )
    received = pd.to_datetime(rows["received"].to_numpy() * 1e6, unit="us", utc=True)
    return pd.DataFrame(
        {
            "received_at": received,
            "event_time": pd.to_datetime(rows["event_time"].to_numpy(), unit="s", utc=True),
            "event_type": event_type,
            "event_type_raw": event_type,
            "known_type": True,
            "signature_request_id": ids.to_numpy()[request],
            "title": [f"[synthetic] {_TITLES[n % len(_TITLES)]} {n}" for n in numbers],
            "created_at": pd.to_datetime(np.floor(created[request]), unit="s", utc=True),
            "signer_count": signers[request],
            "related_signature_id": signature.array,
            "signer_name": names[signer],
            "signer_email_address": emails[signer],
            "signer_status_code": np.where(with_signer, status, None),
            "signer_order": pd.Series(signer, dtype="Int64").where(with_signer).array,
            "is_complete": np.isin(
                event_type, ["signature_request_all_signed", "signature_request_downloadable"]
            ),
            "is_declined": event_type == "signature_request_declined",
            "has_error": event_type == "file_error",
            "test_mode": False,
            "callback_type": "account_callback",
            "reported_for_account_id": _ACCOUNT,
            "account_guid": _ACCOUNT,
            "verified": True,
            "deliveries": 1 + (rng.random(len(rows)) < 0.02),
            "received_wall_at": received,
            "received_clock": "wall",
        }
    )
