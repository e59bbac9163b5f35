"""The committed sample log (``data/events/``, a simulated working day): what its README says
it holds, retries shown as lateness, and its script rebuilding the exports byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from hsnb.analysis import latencies, latency_summary, lifecycle, read_log
from hsnb.retries import retry_stats

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "events" / "sample-log.sqlite"


def test_sample_log_has_the_requests_its_readme_describes() -> None:
    log = read_log(SAMPLE)
    table = lifecycle(log.events)
    assert len(table) == 40
    assert table["final_state"].value_counts()[lambda n: n > 0].to_dict() == {
        "complete": 33,
        "error": 4,
        "expired": 2,
        "declined": 1,
    }
    stats = retry_stats(*log)
    assert (stats.accepted, stats.duplicates, stats.refused) == (237, 17, 0)
    assert set(log.deliveries["received_clock"]) == {"emulated"}  # nothing rewritten afterwards


def test_sample_script_rebuilds_the_committed_exports(tmp_path: Path) -> None:
    script = SAMPLE.parent / "make_sample_log.py"
    command = [sys.executable, str(script), "--out", str(tmp_path)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    exports = ["sample-events.csv", "sample-deliveries.csv", "sample-attempts.csv"]
    for name in [*exports, "sample-events.jsonl"]:
        assert (tmp_path / name).read_text() == (SAMPLE.parent / name).read_text(), name


def test_sample_log_shows_retries_as_lateness() -> None:
    """An event whose first stored delivery was a retry arrives 5 (or 20, ...) minutes late."""
    log = read_log(SAMPLE)
    summary = latency_summary(log.events)
    assert summary["suspect"].sum() == 0
    assert summary.loc["signature_request_sent", "median"] < pd.Timedelta(seconds=10)
    delays = latencies(log.events)
    late = delays[delays["delay"] > pd.Timedelta(minutes=4)]
    assert len(late) > 0
    # each of them: the emulator's first attempt was lost on the way (never stored)
    attempts = pd.read_csv(SAMPLE.parent / "sample-attempts.csv")
    first = attempts[attempts["attempt"] == 1].set_index(["event_type", "signature_request_id"])
    for row in late.itertuples():
        key = (row.event_type_raw, row.signature_request_id)
        assert (first.loc[[key], "outcome"] != "acknowledged").any(), key
