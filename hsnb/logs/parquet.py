"""Event logs as Parquet: written in batches, split by day, read back with the declared dtypes.

A log is written as a folder of Parquet files in Hive layout, one folder per UTC day of the
event (``events/day=2026-01-05/part-0.parquet``; deliveries by the day they were received), with
the Arrow schema of the frames' declared columns (:mod:`hsnb.logs.schema`). The writer streams:
a store or a JSON-lines file goes through in batches, never whole in memory. pandas, DuckDB and
Dask read the same folders (:func:`read_events`, :mod:`hsnb.logs.embedded`,
:mod:`hsnb.logs.cluster`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from hsnb.frames import DELIVERY_COLUMNS, EVENT_COLUMNS
from hsnb.logs.schema import arrow_schema, arrow_table, to_pandas

#: How a log may be split into folders: by the UTC day of each row, or not at all.
PARTITIONS = ("day", "none")
#: The column each table is split by, when split by day.
_DAY_OF = {"events": "event_time", "deliveries": "received_at"}
_ROWS_PER_GROUP = 262_144


def write_parquet(
    data: pd.DataFrame | Iterable[pa.RecordBatch],
    folder: str | Path,
    *,
    columns: Mapping[str, Any] = EVENT_COLUMNS,
    partition: str = "day",
    day_of: str = "event_time",
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write a frame (or Arrow batches) with the declared ``columns`` to a Parquet folder.

    ``partition="day"`` splits rows by the UTC day of ``day_of`` (a ``day=YYYY-MM-DD`` folder
    each); ``"none"`` writes one folder of files. A folder that exists is replaced. ``metadata``
    is kept in each file's schema (e.g. ``{"hsnb.synthetic": "true"}``). Returns the folder.
    """
    if partition not in PARTITIONS:
        raise ValueError(f"partition must be one of {PARTITIONS}, not {partition!r}")
    folder = Path(folder)
    schema = arrow_schema(columns).with_metadata({"hsnb.columns": ",".join(columns)})
    if metadata:
        schema = schema.with_metadata({**schema.metadata, **metadata})
    batches: Iterable[pa.RecordBatch]
    if isinstance(data, pd.DataFrame):
        batches = arrow_table(data, columns).to_batches()
    else:
        batches = data
    if partition == "day":
        schema = schema.append(pa.field("day", pa.string()))
        batches = (_with_day(batch, day_of) for batch in batches)
    if folder.exists():
        shutil.rmtree(folder)
    ds.write_dataset(
        (batch.replace_schema_metadata(schema.metadata) for batch in batches),
        folder,
        schema=schema,
        format="parquet",
        partitioning=["day"] if partition == "day" else None,
        partitioning_flavor="hive" if partition == "day" else None,
        max_rows_per_group=_ROWS_PER_GROUP,
        min_rows_per_group=min(_ROWS_PER_GROUP, 65_536),
        existing_data_behavior="overwrite_or_ignore",
    )
    if not folder.exists():  # nothing to write: an empty folder still says the log is empty
        folder.mkdir(parents=True)
        pq.write_table(schema.empty_table(), folder / "part-0.parquet")
    return folder


def _with_day(batch: pa.RecordBatch, column: str) -> pa.RecordBatch:
    day = pc.strftime(batch.column(column), format="%Y-%m-%d")
    return pa.RecordBatch.from_arrays([*batch.columns, day], names=[*batch.schema.names, "day"])


def export_store(
    store: str | Path | Any, folder: str | Path, *, partition: str = "day"
) -> dict[str, Path]:
    """Write an event store's events and deliveries as Parquet folders ``events/`` and
    ``deliveries/`` under ``folder``, in batches (the store is never whole in memory).

    ``store`` is a path (opened read-only, left as it was) or an :class:`~hsnb.store.EventStore`.
    Raises ``FileNotFoundError`` for a path that does not exist and :class:`StoreError` for a
    file that is not an event store.
    """
    from hsnb.logs import stored
    from hsnb.store import EventStore

    opened = None
    if not isinstance(store, EventStore):
        path = Path(store)
        if not path.is_file():
            raise FileNotFoundError(f"no event store at {path}")
        store = opened = EventStore(path, read_only=True)
    folder = Path(folder)
    try:
        return {
            "events": write_parquet(
                stored.event_batches(store), folder / "events", partition=partition
            ),
            "deliveries": write_parquet(
                stored.delivery_batches(store),
                folder / "deliveries",
                columns=DELIVERY_COLUMNS,
                partition=partition,
                day_of=_DAY_OF["deliveries"],
            ),
        }
    finally:
        if opened is not None:
            opened.close()


def read_events(
    folder: str | Path,
    *,
    columns: Sequence[str] | None = None,
    declared: Mapping[str, Any] = EVENT_COLUMNS,
) -> pd.DataFrame:
    """Read a Parquet folder written by :func:`write_parquet` into the declared dtypes.

    ``columns`` reads only those (in the declared order); ``declared``: the frame's schema
    (:data:`~hsnb.frames.DELIVERY_COLUMNS` for deliveries). Raises ``FileNotFoundError`` when
    the folder does not exist.
    """
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"no Parquet log at {folder}")
    wanted = {name: dtype for name, dtype in declared.items() if columns is None or name in columns}
    dataset = ds.dataset(folder, format="parquet", partitioning="hive")
    table = dataset.to_table(columns=[name for name in wanted if name in dataset.schema.names])
    frame = to_pandas(table, wanted)
    order = next((n for n in ("event_id", "delivery_id") if n in frame), None)
    if order is not None and not frame[order].is_monotonic_increasing:  # days are read in turn
        frame = frame.sort_values(order, kind="stable", ignore_index=True)
    return frame
