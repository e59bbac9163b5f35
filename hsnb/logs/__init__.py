"""Event logs at scale: loaders, Parquet, and the same analysis out of core and on a cluster.

One module per job; each loads its engine only when used, so ``import hsnb.logs`` is cheap.

* :mod:`~hsnb.logs.schema`: the frames' declared schemas in Arrow, and back to their dtypes;
* :mod:`~hsnb.logs.stored`: an event store read as columns, in batches (what
  :func:`hsnb.read_log` uses);
* :mod:`~hsnb.logs.jsonl`: JSON lines of raw payloads, as production handlers log them;
* :mod:`~hsnb.logs.parquet`: Parquet folders, split by day, written in batches;
* :mod:`~hsnb.logs.embedded`: the life cycle and latencies in DuckDB over Parquet, out of core;
* :mod:`~hsnb.logs.cluster`: the same pandas functions on a Dask DataFrame (``hsnb[cluster]``);
* :mod:`~hsnb.logs.synthetic`: synthetic logs of any size, for benchmarks.

>>> from pathlib import Path
>>> is_store_file(Path("data/events/sample-events.jsonl"))
False
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

_SQLITE_HEADER = b"SQLite format 3\x00"

#: Public names, and the module each comes from (imported when first used).
_LAZY = {
    "read_jsonl": "hsnb.logs.jsonl",
    "jsonl_batches": "hsnb.logs.jsonl",
    "write_parquet": "hsnb.logs.parquet",
    "export_store": "hsnb.logs.parquet",
    "read_events": "hsnb.logs.parquet",
    "synthetic_events": "hsnb.logs.synthetic",
}

__all__ = ["is_store_file", *_LAZY]


def is_store_file(path: Path) -> bool:
    """Whether ``path`` is an SQLite file (so, to hsnb, an event store), by its first bytes."""
    with path.open("rb") as file:
        return file.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hsnb.logs' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
