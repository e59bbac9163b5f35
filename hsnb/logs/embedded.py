"""The same tables out of core: DuckDB over a Parquet log, for logs larger than memory.

DuckDB is an engine inside the process (``pip install duckdb``, no server): it reads Parquet
folders in parallel, only the columns a query needs, and spills a group-by that does not fit
its memory limit to disk, so a log of any size is reduced to one row per signature request with
a fixed amount of memory. (Polars' streaming engine would do too; DuckDB was chosen for its
documented spilling of grouped aggregates, its reading of Hive-partitioned Parquet, and its
SQL, which states the reduction in one readable query.)

The reduction per request is :func:`hsnb.per_request.request_steps` written in SQL; the rest
of the life-cycle table is computed by :func:`hsnb.per_request.lifecycle_of_steps`, the very
function the pandas path uses, on the reduced rows. Tests hold both to the same rows and dtypes.

``source`` is a Parquet folder of events (:func:`hsnb.logs.parquet.write_parquet`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hsnb.analysis import LATENCY_COLUMNS, LATENCY_SUMMARY_COLUMNS
from hsnb.events import EVENT_ORDER
from hsnb.logs.schema import to_pandas
from hsnb.per_request import FIRST_SEEN, STEP_COLUMNS, lifecycle_of_steps

if TYPE_CHECKING:
    import duckdb

#: Durations past this are later than Dropbox Sign's last retry (as :func:`hsnb.latencies`).
_LATEST_US = 4 * 86_400 * 1_000_000
_ROUNDING_US = 1_000_000


def connect(
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection on UTC; ``memory_limit`` (e.g. ``"2GB"``) is where it
    starts to spill to ``temp_directory``."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if memory_limit is not None:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    if temp_directory is not None:
        con.execute("SET temp_directory = ?", [temp_directory])
    return con


def _scan(source: str | Path) -> str:
    folder = Path(source)
    if not folder.exists():
        raise FileNotFoundError(f"no Parquet log at {folder}")
    pattern = str(folder / "**" / "*.parquet").replace("'", "''")
    return f"read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)"


def _types(event_types: tuple[str, ...]) -> str:
    return ", ".join("'" + t.replace("'", "''") + "'" for t in event_types)


def request_steps(source: str | Path, *, con: Any = None) -> pd.DataFrame:
    """One row per signature request (:data:`~hsnb.per_request.STEP_COLUMNS`), in no set order."""
    firsts = ",\n".join(
        f"min(event_time) FILTER (WHERE event_type_raw IN ({_types(types)})) AS {column}"
        for column, types in FIRST_SEEN.items()
    )
    sql = f"""
        SELECT signature_request_id,
            arg_max(title, event_id) FILTER (WHERE title IS NOT NULL) AS title,
            arg_max(signer_count, event_id) FILTER (WHERE signer_count IS NOT NULL) AS signers,
            count(DISTINCT related_signature_id)
                FILTER (WHERE event_type_raw = 'signature_request_signed') AS signed,
            count(*) AS events,
            bool_or(event_type_raw = 'signature_request_expired') AS expired,
            min(event_time) AS first_event_at,
            min(created_at) AS created_at,
            {firsts},
            max(event_time) AS last_event_at
        FROM {_scan(source)}
        WHERE signature_request_id IS NOT NULL
        GROUP BY signature_request_id
    """
    return to_pandas(_arrow(con, sql), STEP_COLUMNS)


def lifecycle(source: str | Path, *, con: Any = None) -> pd.DataFrame:
    """The life-cycle table (:func:`hsnb.lifecycle`) of a Parquet log, reduced out of core."""
    return lifecycle_of_steps(request_steps(source, con=con))


def latencies(source: str | Path, *, con: Any = None) -> pd.DataFrame:
    """Each event's callback delay (:func:`hsnb.latencies`) from a Parquet log, in event order."""
    sql = f"""
        SELECT event_id, signature_request_id, title, event_type, event_type_raw,
            callback_type, event_time, received_at, deliveries,
            epoch_us(received_at) - epoch_us(event_time) AS delay_us
        FROM {_scan(source)} ORDER BY event_id
    """
    table = _arrow(con, sql)
    delay = table.column("delay_us")
    suspect = pc.if_else(
        pc.less(delay, -_ROUNDING_US),
        "negative: received before it happened (clocks disagree)",
        pc.if_else(
            pc.greater(delay, _LATEST_US), "later than the last retry (clocks disagree)", None
        ),
    )
    table = table.drop_columns(["delay_us"]).append_column("delay", delay.cast(pa.duration("us")))
    return to_pandas(table.append_column("suspect", suspect), LATENCY_COLUMNS)


def latency_summary(source: str | Path, *, con: Any = None) -> pd.DataFrame:
    """Callback delay by event type (:func:`hsnb.latency_summary`) from a Parquet log."""
    delay = "epoch_us(received_at) - epoch_us(event_time)"
    fair = f"{delay} BETWEEN -{_ROUNDING_US} AND {_LATEST_US}"
    quantiles = ", ".join(
        f"quantile_cont({delay}, {q}) FILTER (WHERE {fair}) AS {name}"
        for name, q in (("median", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99))
    )
    sql = f"""
        SELECT event_type_raw AS event_type,
            count({delay}) FILTER (WHERE {fair}) AS events,
            min({delay}) FILTER (WHERE {fair}) AS min, {quantiles},
            max({delay}) FILTER (WHERE {fair}) AS max,
            count(*) FILTER (WHERE NOT ({fair})) AS suspect
        FROM {_scan(source)} WHERE event_type_raw IS NOT NULL GROUP BY event_type_raw
    """
    table = _arrow(con, sql)
    arrays = {}
    for name in table.column_names:
        column = table.column(name)
        if name in ("min", "median", "p90", "p95", "p99", "max"):
            # pandas interpolates a quantile of microseconds and drops the fraction: so here
            column = pc.trunc(column.cast(pa.float64())).cast(pa.int64()).cast(pa.duration("us"))
        arrays[name] = column
    frame = to_pandas(pa.table(arrays), LATENCY_SUMMARY_COLUMNS)
    rank = {t: i for i, t in enumerate(EVENT_ORDER)}
    order = frame["event_type"].map(lambda t: (rank.get(t, len(rank)), t))
    frame = frame.iloc[order.argsort(kind="stable")].reset_index(drop=True)
    return frame.set_index("event_type")


def _arrow(con: Any, sql: str) -> pa.Table:
    own = con is None
    con = connect() if own else con
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        if own:
            con.close()
