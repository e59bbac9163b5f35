"""``make bench`` still runs end to end: a short run of every benchmark (its figures are not
judged here; BENCHMARKS.md says what they were on the development machine)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata

import pytest

from tests.conftest import ROOT


def flask_installed() -> bool:
    try:
        metadata.version("flask")
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)
def test_benchmarks_print_ratios_to_both_baselines_and_the_kernel_round_trips() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--seconds", "1", "--rounds", "1"]
        + ["--per-thread", "3000", "--kernel-rate", "200", "--kernel-seconds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("machine: ") and "SQLite" in lines[0]
    rounds = [line for line in lines if line.startswith("round 1 ")]
    servers = ["bare tornado ACK", "hsnb listener"]
    if flask_installed():
        servers.insert(1, "flask dev ACK")
        assert any(line.startswith("listener / flask dev ACK: ") for line in lines)
    assert [line.split("  ")[1].strip() for line in rounds] == servers
    assert rounds[-1].endswith("ok") or ": ok, " in rounds[-1]  # every ACKed event was stored
    assert any(line.startswith("listener / bare tornado ACK: ") for line in lines)
    assert any(line.strip().startswith("idle ") for line in lines)
    assert any(line.strip().startswith("loaded ") for line in lines)
    assert any("stored" in line and line.rstrip().endswith(": ok") for line in lines)


def test_the_log_benchmark_prints_every_engine_beside_from_records() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.logs", "--events", "2000", "--scale-events", "20000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith("stored log: 2,000 events, ")
    assert "from_records" in lines[2] and "x the events frame" in lines[2]
    assert lines[3].startswith("synthetic Parquet log: 20,000 events")
    for engine in ("pandas", "duckdb", "dask x1", "dask x2"):
        assert f"| {engine} " in lines[4] or lines[4].startswith(f"run 1: {engine} ")
