"""The same tables on three engines: pandas, DuckDB over Parquet, and Dask on a LocalCluster.

The log is real: a listener's store of requests whose callbacks were duplicated, lost and
delivered late, across three UTC days (:func:`tests.logs_helpers.write_messy_log`), exported to
Parquet split by day. Every table is compared row for row, with dtypes and time zones.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from hsnb.analysis import latencies, latency_summary, lifecycle, read_log
from hsnb.frames import EVENT_COLUMNS
from hsnb.logs import cluster, embedded
from hsnb.logs.parquet import export_store, write_parquet
from hsnb.logs.synthetic import synthetic_events
from hsnb.per_request import LIFECYCLE_COLUMNS, STEP_COLUMNS, request_steps
from tests.logs_helpers import write_messy_log

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    """The messy log's events frame, and its Parquet folder."""
    folder = tmp_path_factory.mktemp("engines")
    store = write_messy_log(folder / "messy.sqlite")
    return read_log(store).events, export_store(store, folder / "pq")["events"]


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """A real dask.distributed cluster: two worker processes on 127.0.0.1."""
    cluster_ = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    with cluster_, distributed.Client(cluster_) as connected:
        yield connected


def test_the_log_has_what_the_engines_must_agree_on(log: tuple[pd.DataFrame, Path]) -> None:
    events, _ = log
    assert (events["deliveries"] > 1).any()  # duplicates
    table = lifecycle(events)
    assert table["problems"].str.contains("no sent event").any()  # a lost event
    assert not events["event_time"].is_monotonic_increasing  # delivered out of order
    assert events["event_time"].dt.normalize().nunique() == 3
    assert events["signature_request_id"].isna().any()  # a callback test


def test_duckdb_gives_the_pandas_life_cycle(log: tuple[pd.DataFrame, Path]) -> None:
    events, folder = log
    table = embedded.lifecycle(folder)
    pd.testing.assert_frame_equal(table, lifecycle(events))
    assert dict(table.dtypes) == LIFECYCLE_COLUMNS
    assert str(table["sent_at"].dt.tz) == "UTC"


def test_duckdb_gives_the_pandas_latencies_and_summary(log: tuple[pd.DataFrame, Path]) -> None:
    events, folder = log
    pd.testing.assert_frame_equal(embedded.latencies(folder), latencies(events))
    pd.testing.assert_frame_equal(embedded.latency_summary(folder), latency_summary(events))


def test_duckdb_reduces_with_a_memory_limit_and_spills(
    tmp_path: Path, log: tuple[pd.DataFrame, Path]
) -> None:
    events = synthetic_events(60_000, seed=2)
    folder = write_parquet(events, tmp_path / "synthetic")
    con = embedded.connect(memory_limit="64MB", threads=1, temp_directory=str(tmp_path / "spill"))
    pd.testing.assert_frame_equal(embedded.lifecycle(folder, con=con), lifecycle(events))


def test_request_steps_do_not_depend_on_the_order_of_rows(log: tuple[pd.DataFrame, Path]) -> None:
    events, _ = log
    shuffled = events.sample(frac=1.0, random_state=3)
    by_id = request_steps(events).sort_values("signature_request_id", ignore_index=True)
    again = request_steps(shuffled).sort_values("signature_request_id", ignore_index=True)
    pd.testing.assert_frame_equal(again, by_id)
    assert dict(again.dtypes) == STEP_COLUMNS


def test_dask_partitions_have_the_declared_dtypes(
    client: object, log: tuple[pd.DataFrame, Path]
) -> None:
    events, folder = log
    frame = cluster.read_events(folder)
    assert frame.npartitions == 3  # a file a day
    computed = frame.compute().sort_values("event_id", ignore_index=True)
    pd.testing.assert_frame_equal(computed, events)
    assert dict(computed.dtypes) == EVENT_COLUMNS


def test_dask_on_a_local_cluster_gives_the_pandas_life_cycle(
    client: object, log: tuple[pd.DataFrame, Path]
) -> None:
    events, folder = log
    table = cluster.gather_lifecycle(cluster.lifecycle(cluster.read_events(folder)))
    pd.testing.assert_frame_equal(table, lifecycle(events))


def test_dask_on_a_local_cluster_gives_the_pandas_latencies(
    client: object, log: tuple[pd.DataFrame, Path]
) -> None:
    events, folder = log
    frame = cluster.read_events(folder)
    delays = cluster.latencies(frame).compute().sort_values("event_id", ignore_index=True)
    pd.testing.assert_frame_equal(delays, latencies(events))
    pd.testing.assert_frame_equal(cluster.latency_summary(frame), latency_summary(events))


def test_dask_and_duckdb_agree_on_a_synthetic_log_of_many_partitions(
    client: object, tmp_path: Path
) -> None:
    events = synthetic_events(40_000, seed=4)
    folder = write_parquet(events, tmp_path / "synthetic")
    frame = cluster.read_events(folder, columns=cluster.STEP_INPUT).repartition(npartitions=4)
    expected = lifecycle(events)
    pd.testing.assert_frame_equal(cluster.gather_lifecycle(cluster.lifecycle(frame)), expected)
    pd.testing.assert_frame_equal(embedded.lifecycle(folder), expected)
