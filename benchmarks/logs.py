"""Event logs at scale: a stored log read into frames, and the life cycle on three engines.

Run: ``python -m benchmarks.logs`` (``make bench`` runs it): a 200,000-event store and a
1,000,000-event Parquet log. The sizes of the issue: ``--events 1000000 --scale-events
10000000`` (``make bench-large``; about 40 minutes on the 2-core machine, mostly building the
store once). Every measurement runs in a fresh process; its peak memory is the highest resident
size of that process and its children (Dask's workers), sampled every 20 ms, above what it held
before the measured work (after imports, and after a cluster started).

1. **A stored log** (:mod:`benchmarks.stores`: synthetic events, stored by the real store
   writer as a listener stores callbacks): its size on disk per event, and side by side

   * ``from_records``: the ``events`` table's rows fetched and ``pd.DataFrame.from_records``
     over them (untyped: the baseline of the issue);
   * ``events + lifecycle + latencies``: :func:`hsnb.logs.stored.events_frame` (what
     :func:`hsnb.read_log` builds), then :func:`hsnb.lifecycle` and :func:`hsnb.latencies`;
   * ``read_log``: events and deliveries frames.

2. **A synthetic Parquet log** (:mod:`hsnb.logs.synthetic`, labelled synthetic, split by day):
   the life-cycle table by pandas (reading the columns it needs), by DuckDB (out of core), and
   by Dask on a ``LocalCluster`` of one and of two worker processes.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from benchmarks.stores import DATA, stored_log

_CHILD = "--child"


# -- in the measured process -------------------------------------------------------------------


def _rss() -> int:
    return psutil.Process().memory_info().rss


def _ready() -> None:
    """Tell the parent that setup is over: what is resident now is the baseline."""
    print(json.dumps({"ready": _rss()}), flush=True)


def child(kind: str, path: str, workers: int) -> dict[str, Any]:
    """One measurement; returns its figures (seconds, frame bytes, rows)."""
    import pandas as pd

    from hsnb.analysis import latencies, lifecycle, read_log
    from hsnb.logs import cluster, embedded, stored
    from hsnb.logs.parquet import read_events
    from hsnb.store import EventStore

    figures: dict[str, Any] = {}
    if kind == "dask":
        import logging

        from distributed import Client, LocalCluster

        local = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
            memory_limit=0,
        )
        client = Client(local)
    _ready()
    start = time.perf_counter()
    if kind == "from_records":
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        cursor = db.execute("SELECT * FROM events ORDER BY event_id")
        names = [d[0] for d in cursor.description]
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=names)
        figures["frame_bytes"] = int(frame.memory_usage(deep=True).sum())
    elif kind == "columns":
        store = EventStore(path, read_only=True)
        frame = stored.events_frame(store)
        figures["events_seconds"] = time.perf_counter() - start
        lifecycle(frame)
        latencies(frame)
        figures["frame_bytes"] = int(frame.memory_usage(deep=True).sum())
    elif kind == "read_log":
        log = read_log(path)
        frame = log.events
        figures["frame_bytes"] = int(
            log.events.memory_usage(deep=True).sum() + log.deliveries.memory_usage(deep=True).sum()
        )
    elif kind == "pandas":
        frame = lifecycle(read_events(path, columns=cluster.STEP_INPUT))
    elif kind == "duckdb":
        frame = embedded.lifecycle(path)
    elif kind == "dask":
        table = cluster.lifecycle(cluster.read_events(path, columns=cluster.STEP_INPUT))
        frame = cluster.gather_lifecycle(table)
        figures["partitions"] = int(cluster.read_events(path).npartitions)
        client.close()
        local.close()
    else:
        raise ValueError(kind)
    figures["seconds"] = time.perf_counter() - start
    figures["rows"] = len(frame)
    return figures


# -- in the parent ---------------------------------------------------------------------------


def measure(kind: str, path: Path, workers: int = 1) -> dict[str, Any]:
    """Run one measurement in a fresh process; add its peak memory above its baseline."""
    command = [sys.executable, "-m", "benchmarks.logs", _CHILD, kind, str(path), str(workers)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                tree = [watched, *watched.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            time.sleep(0.02)

    assert process.stdout is not None
    ready = json.loads(process.stdout.readline())["ready"]
    tree = [watched, *watched.children(recursive=True)]
    baseline = sum(p.memory_info().rss for p in tree)
    peak[0] = baseline
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.stdout.read()
    process.wait(timeout=7200)
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{kind} failed ({process.returncode})")
    figures = json.loads(output.strip().splitlines()[-1])
    figures["peak_bytes"] = peak[0] - baseline
    figures["ready_bytes"] = ready
    return figures


def _mb(value: float) -> str:
    return f"{value / 2**20:,.0f} MiB"


def stored_section(events: int, runs: int) -> None:
    """The stored log: size per event, and reading it beside from_records."""
    path = stored_log(events)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    count = db.execute("SELECT count(*) FROM events").fetchone()[0]
    print(f"stored log: {count:,} events, {path.stat().st_size / count:,.0f} bytes per event")
    for run in range(1, runs + 1):
        base = measure("from_records", path)
        ours = measure("columns", path)
        log = measure("read_log", path)
        print(
            f"run {run}: from_records {base['seconds']:.2f} s, peak {_mb(base['peak_bytes'])}"
            f" | events {ours['events_seconds']:.2f} s + lifecycle + latencies"
            f" = {ours['seconds']:.2f} s ({ours['seconds'] / base['seconds']:.2f}x),"
            f" peak {_mb(ours['peak_bytes'])} = {ours['peak_bytes'] / ours['frame_bytes']:.2f}x"
            f" the events frame ({_mb(ours['frame_bytes'])})"
            f" | read_log {log['seconds']:.2f} s, peak {_mb(log['peak_bytes'])}",
            flush=True,
        )


def scale_section(events: int, runs: int) -> None:
    """The synthetic Parquet log: the life cycle on each engine."""
    from hsnb.logs.parquet import write_parquet
    from hsnb.logs.synthetic import synthetic_batches

    folder = DATA / f"synthetic-{events}.parquet"
    if not (folder / ".complete").exists():
        write_parquet(synthetic_batches(events), folder, metadata={"hsnb.synthetic": "true"})
        (folder / ".complete").touch()
    size = sum(p.stat().st_size for p in folder.rglob("*.parquet"))
    print(f"synthetic Parquet log: {events:,} events, {size / events:,.0f} bytes per event")
    engines = [("pandas", 1), ("duckdb", 1), ("dask", 1), ("dask", 2)]
    for run in range(1, runs + 1):
        cells = []
        for kind, workers in engines:
            figures = measure(kind, folder, workers)
            name = f"dask x{workers}" if kind == "dask" else kind
            extra = ""
            if kind == "dask":
                per = figures["seconds"] * workers / figures["partitions"]
                extra = f", {figures['partitions']} partitions, {per:.2f} s per partition"
            cells.append(
                f"{name} {figures['seconds']:.1f} s, peak {_mb(figures['peak_bytes'])}{extra}"
            )
        print(f"run {run}: " + " | ".join(cells), flush=True)


def main() -> None:
    """Parse the arguments and run both sections."""
    if len(sys.argv) > 1 and sys.argv[1] == _CHILD:
        _, _, kind, path, workers = sys.argv
        print(json.dumps(child(kind, path, int(workers))), flush=True)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="stored events (200,000)")
    parser.add_argument(
        "--scale-events", type=int, default=1_000_000, help="Parquet events (1,000,000)"
    )
    parser.add_argument("--runs", type=int, default=1, help="measurements of each (1)")
    args = parser.parse_args()
    print(f"machine: {psutil.cpu_count()} cores, {_mb(psutil.virtual_memory().total)}")
    if args.events:
        stored_section(args.events, args.runs)
    if args.scale_events:
        scale_section(args.scale_events, args.runs)


if __name__ == "__main__":
    main()
