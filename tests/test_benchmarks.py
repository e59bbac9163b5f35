"""The benchmark still runs (a small count; its numbers are not judged here)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_benchmark_runs_and_reports_ratios() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--requests", "150"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith("bare tornado ACK") and "(baseline)" in lines[1]
    assert "x baseline" in lines[2] and "x baseline" in lines[3]
