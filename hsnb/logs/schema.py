"""The frames' declared schemas (:mod:`hsnb.frames`) in Arrow, and back to exactly those dtypes.

Every path of :mod:`hsnb.logs` (a store read in batches, JSON lines, Parquet, DuckDB, Dask)
passes through Arrow with the schema derived here from the one declaration, and comes back to
pandas through :func:`to_pandas`, so each path gives the same dtypes: UTC timestamps in
microseconds, categoricals with the declared categories in the declared order, nullable
integers, booleans and strings.

>>> import pyarrow as pa
>>> arrow_schema({"event_time": UTC_TIME, "deliveries": "Int64"}).types
[TimestampType(timestamp[us, tz=UTC]), DataType(int64)]
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pyarrow as pa

from hsnb.frames import UTC_TIME, conform

__all__ = [
    "UTC_TIME",
    "arrow_schema",
    "arrow_table",
    "arrow_type",
    "system_memory",
    "to_pandas",
]

_SIMPLE = {
    "Int64": pa.int64(),
    "boolean": pa.bool_(),
    "string": pa.string(),
    "Float64": pa.float64(),
    "timedelta64[us]": pa.duration("us"),
}
#: Arrow types read back as the nullable pandas dtypes the frames declare.
_PANDAS_TYPES = {
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
    pa.float64(): pd.Float64Dtype(),
}


@contextmanager
def system_memory() -> Iterator[None]:
    """Arrow allocates from the system allocator inside the block.

    Arrow's default pool (mimalloc) keeps what it frees for later: a log read through it leaves
    the process hundreds of MB larger than the frame it made. The system allocator is asked to
    give back what is free when the block ends (``malloc_trim``). The pool is process-wide; it is
    put back when the block ends.
    """
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
        _trim()


def _trim() -> None:
    """Ask glibc to return freed memory to the system (elsewhere: nothing to do)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.malloc_trim(0)


def arrow_type(dtype: Any) -> pa.DataType:
    """The Arrow type of one declared pandas dtype (a categorical is a string dictionary)."""
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pa.timestamp(dtype.unit, tz=str(dtype.tz))
    if isinstance(dtype, pd.CategoricalDtype):
        return pa.dictionary(pa.int32(), pa.string())
    try:
        return _SIMPLE[str(dtype)]
    except KeyError:
        raise TypeError(f"no Arrow type for the declared dtype {dtype!r}") from None


def arrow_schema(columns: Mapping[str, Any]) -> pa.Schema:
    """The Arrow schema of declared ``columns`` (name -> pandas dtype)."""
    return pa.schema([pa.field(name, arrow_type(dtype)) for name, dtype in columns.items()])


def arrow_table(frame: pd.DataFrame, columns: Mapping[str, Any]) -> pa.Table:
    """A frame with the declared ``columns`` as an Arrow table of :func:`arrow_schema`."""
    frame = conform(frame, columns)
    return pa.Table.from_pandas(frame, schema=arrow_schema(columns), preserve_index=False)


def to_pandas(
    data: pa.Table | Iterable[pa.RecordBatch], columns: Mapping[str, Any]
) -> pd.DataFrame:
    """An Arrow table (or batches) as a frame with exactly the declared ``columns``' dtypes.

    Categoricals are given the declared categories (a file's dictionary may hold fewer, or
    another order); the Arrow memory is released column by column as it is converted.
    """
    if not isinstance(data, pa.Table):
        batches = list(data)
        data = pa.Table.from_batches(batches, schema=batches[0].schema if batches else None)
        del batches
    if data.num_columns == 0:
        return conform(pd.DataFrame(), columns)
    frame = data.to_pandas(
        types_mapper=_PANDAS_TYPES.get,
        self_destruct=True,
        split_blocks=True,
        coerce_temporal_nanoseconds=False,
    )
    return conform(frame, columns)
