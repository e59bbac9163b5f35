"""The same functions on a cluster: Dask DataFrames over a Parquet log, with ``dask.distributed``.

The life cycle is a group-by per signature request, so a log shuffled by
``signature_request_id`` (every event of a request in one partition; Dask's shuffle moves the
rows between workers) is handed partition by partition to the pandas functions themselves:
:func:`hsnb.per_request.request_steps` then :func:`hsnb.per_request.lifecycle_of_steps`,
unchanged. :func:`hsnb.latencies` is row by row (no shuffle), and :func:`hsnb.latency_summary`
runs per partition after a shuffle by event type. Whatever runs the graph (a
``distributed.Client`` on a ``LocalCluster`` or on a real cluster, or Dask's own scheduler)
runs these.

Install with ``pip install 'hsnb[cluster]'`` (``dask[dataframe]`` and ``distributed``)::

    with distributed.Client("tcp://scheduler:8786"):  # or a LocalCluster
        table = gather_lifecycle(lifecycle(read_events("log/events")))
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hsnb import analysis, per_request
from hsnb.events import EVENT_ORDER
from hsnb.frames import EVENT_COLUMNS, conform
from hsnb.per_request import STEP_INPUT

if TYPE_CHECKING:
    import dask.dataframe as dd


def _empty(columns: dict[str, Any]) -> pd.DataFrame:
    return conform(pd.DataFrame(), columns)


def read_events(folder: str | Path, *, columns: Sequence[str] | None = None) -> dd.DataFrame:
    """A Parquet log (:func:`hsnb.logs.parquet.write_parquet`) as a Dask DataFrame whose
    partitions have the declared dtypes (one file, or one row group, per partition)."""
    import dask.dataframe as dd

    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"no Parquet log at {folder}")
    declared = {n: t for n, t in EVENT_COLUMNS.items() if columns is None or n in columns}
    frame = dd.read_parquet(
        str(folder), columns=list(declared), dtype_backend="pyarrow", split_row_groups="adaptive"
    )
    return frame.map_partitions(conform, declared, meta=_empty(declared))


def by_request(events: dd.DataFrame) -> dd.DataFrame:
    """The events with a signature request, shuffled so each request's rows share a partition."""
    scoped = events[events["signature_request_id"].notnull()]
    return scoped.shuffle(on="signature_request_id")


def request_steps(events: dd.DataFrame) -> dd.DataFrame:
    """:func:`hsnb.per_request.request_steps` per partition of :func:`by_request`."""
    return by_request(events).map_partitions(
        per_request.request_steps, meta=_empty(per_request.STEP_COLUMNS)
    )


def lifecycle(events: dd.DataFrame) -> dd.DataFrame:
    """The life-cycle rows (:data:`~hsnb.per_request.LIFECYCLE_COLUMNS`, plus ``_first``, the
    request's first event, to order by), each partition finished where it lies; unordered:
    :func:`gather_lifecycle` computes and orders them."""
    meta = _empty(per_request.LIFECYCLE_COLUMNS).assign(_first=_empty(_FIRST)["_first"])
    return request_steps(events).map_partitions(_finish, meta=meta)


_FIRST = {"_first": per_request.STEP_COLUMNS["first_event_at"]}


def _finish(steps: pd.DataFrame) -> pd.DataFrame:
    table = per_request.lifecycle_of_steps(steps, order=False)
    return table.assign(_first=steps["first_event_at"].to_numpy())


def gather_lifecycle(table: dd.DataFrame) -> pd.DataFrame:
    """Compute a distributed life-cycle table and order it as :func:`hsnb.lifecycle` does."""
    rows = table.compute().sort_values(["_first", "signature_request_id"], kind="stable")
    return conform(rows, per_request.LIFECYCLE_COLUMNS)


def latencies(events: dd.DataFrame) -> dd.DataFrame:
    """:func:`hsnb.latencies` per partition (row by row: no shuffle)."""
    return events.map_partitions(analysis.latencies, meta=_empty(analysis.LATENCY_COLUMNS))


def latency_summary(events: dd.DataFrame) -> pd.DataFrame:
    """:func:`hsnb.latency_summary`: each event type's rows in one partition, summarised there
    by the pandas function itself, then gathered in :data:`~hsnb.events.EVENT_ORDER`."""
    typed = events[events["event_type_raw"].notnull()].shuffle(on="event_type_raw")
    meta = conform(pd.DataFrame(), analysis.LATENCY_SUMMARY_COLUMNS)
    parts = typed.map_partitions(_summary, meta=meta).compute()
    return _in_type_order(parts).set_index("event_type")


def _summary(part: pd.DataFrame) -> pd.DataFrame:
    return analysis.latency_summary(part).reset_index()


def _in_type_order(frame: pd.DataFrame) -> pd.DataFrame:
    rank = {t: i for i, t in enumerate(EVENT_ORDER)}
    order = frame["event_type"].map(lambda t: (rank.get(t, len(rank)), t))
    return conform(frame.iloc[order.argsort(kind="stable")], analysis.LATENCY_SUMMARY_COLUMNS)


__all__ = [
    "STEP_INPUT",
    "by_request",
    "gather_lifecycle",
    "latencies",
    "latency_summary",
    "lifecycle",
    "read_events",
    "request_steps",
]
