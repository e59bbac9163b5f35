# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [Start here](00-Start-Here.ipynb) · [← 06 · Going live](06-Going-Live.ipynb)
#
# # 07 · Logs at scale
#
# **Question:** a year of callbacks for a busy account is tens of millions of events. How do you
# get the same life-cycle and latency tables from a log that size: on one machine, out of core,
# and on a cluster?
#
# The answer in three moves:
#
# 1. **Parquet.** Export the log (an hsnb store, or the JSON lines your own handler writes) to
#    Parquet, split into a folder per day, with the same column types as the frames.
# 2. **An embedded engine.** DuckDB reads only the columns it needs and reduces the events to
#    one row per request, spilling to disk when memory runs short.
# 3. **A cluster.** The life cycle is a group-by per signature request: shuffle the events so each
#    request sits in one partition, and the pandas functions run on each partition unchanged,
#    on as many Dask workers as you have.
#
# Here the log is small enough to check every path against pandas, row for row. The numbers for
# ten million events are in `BENCHMARKS.md`.

# %%
import logging
import sqlite3
import tempfile
from pathlib import Path

import pandas as pd

import hsnb
from hsnb.durations import readable
from hsnb.logs import cluster, embedded
from hsnb.logs.jsonl import read_jsonl
from hsnb.logs.parquet import export_store, read_events

work = tempfile.TemporaryDirectory()
folder = Path(work.name)

# %% [markdown]
# ## A log to analyse
#
# Two days of a working account, run through the emulator and a real listener on virtual time
# (seeded, so the same log every run). Its store keeps each callback once: the body as it came,
# compressed, and the event's flat fields in columns, so a frame is read without parsing JSON.

# %%
result = hsnb.simulate(
    requests=150, period=2 * 86_400, seed=7, store=folder / "events.sqlite", progress=False
)
log = hsnb.read_log(folder / "events.sqlite")
print(f"{len(log.events)} events from {len(log.deliveries)} deliveries")
db = sqlite3.connect(folder / "events.sqlite", isolation_level=None)
db.execute("VACUUM")
db.close()
per_event = (folder / "events.sqlite").stat().st_size / len(log.events)
print("under 3 KB per event on disk:", per_event < 3000)

# %% [markdown]
# ## 1 · Export to Parquet
#
# `export_store` (or `hsnb export events.sqlite --format parquet --out log`) writes the events and
# the deliveries in batches, a folder per UTC day. The files carry the frames' own types: reading
# them back gives the very frame `read_log` gives.

# %%
exported = export_store(folder / "events.sqlite", folder / "log")
for name, path in exported.items():
    print(name, sorted(p.name for p in path.iterdir()))
events = read_events(exported["events"])
print("same frame as read_log:", events.equals(log.events))

# %% [markdown]
# ## 2 · The life cycle on pandas and on DuckDB
#
# On pandas, `hsnb.lifecycle` of the frame. On DuckDB, `embedded.lifecycle` of the folder: the
# reduction per request is SQL over the Parquet files, and the rest of the table (final state,
# durations, problems) is the same pandas code on the reduced rows.

# %%
table = hsnb.lifecycle(events)
out_of_core = embedded.lifecycle(exported["events"])
pd.testing.assert_frame_equal(out_of_core, table)  # row for row, dtypes and time zones
print("DuckDB gives the pandas table:", out_of_core.equals(table))
table["final_state"].value_counts().to_frame("requests")

# %%
summary = hsnb.latency_summary(events)
print("latency summary agrees:", embedded.latency_summary(exported["events"]).equals(summary))
readable(summary[["events", "median", "p95", "max"]])

# %% [markdown]
# ## 3 · The same functions on a Dask cluster
#
# A `LocalCluster` stands in for a real one here (threads in this kernel; a real cluster gives
# `Client` its scheduler's address instead). `cluster.lifecycle` shuffles the events by
# `signature_request_id`, then runs `hsnb.per_request.request_steps` and `lifecycle_of_steps`,
# the pandas functions, on each partition; `gather_lifecycle` brings the rows back in order.

# %%
from distributed import Client, LocalCluster

with (
    LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as local,
    Client(local),
):
    frame = cluster.read_events(exported["events"])
    on_dask = cluster.gather_lifecycle(cluster.lifecycle(frame))
    dask_summary = cluster.latency_summary(frame)
pd.testing.assert_frame_equal(on_dask, table)
print(f"{frame.npartitions} partitions (one a day)")
print("Dask gives the pandas table:", on_dask.equals(table))
print("Dask gives the pandas latency summary:", dask_summary.equals(summary))

# %% [markdown]
# ## Logs your own handler wrote
#
# A production handler usually logs each callback as a line of JSON: the payload, perhaps with
# the time it arrived. `read_jsonl` (and `hsnb export handler.jsonl --format parquet`) reads such
# a file in a stream; retries logged twice collapse into one event, counted in `deliveries`.
# Here, every delivery of the store above, retries included, written as such a log:

# %%
deliveries = hsnb.EventStore(folder / "events.sqlite", read_only=True).delivery_rows(with_body=True)
with open(folder / "handler.jsonl", "w") as lines:
    for row in deliveries:
        if row["verdict"] == "rejected":
            continue
        payload = row["body"].split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--", 1)[0].decode()
        lines.write(f'{{"received_at": "{row["received_at"]}", "payload": {payload}}}\n')
from_handler = read_jsonl(folder / "handler.jsonl")
print(f"{sum(1 for _ in open(folder / 'handler.jsonl'))} lines, {len(from_handler)} events")
print("same life cycle:", hsnb.lifecycle(from_handler).equals(table))

# %%
work.cleanup()

# %% [markdown]
# Back to the [start page](00-Start-Here.ipynb).
