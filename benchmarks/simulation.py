"""Simulated workloads: how fast, and how true.

Run: ``python -m benchmarks.simulation [--requests 1000] [--scaled 0.01]`` (``make bench`` runs
it too). A workload of two-signer requests, each from create to ``downloadable``, with a receiver
that loses 5% of callback attempts and answers 5% wrongly (so retries and duplicates happen), is
run through the real emulator and a real listener over HTTP; every callback is committed to a
WAL SQLite file (``synchronous=FULL``) before its ACK. Printed:

* the wall time, and callback attempts per second;
* each measured median against the configured one, as a ratio (1.00: the log tells the truth):
  document processing (``created_at`` to ``sent``), a signer's time to open and time on the
  page, and the service's queueing lag before a callback's first attempt;
* whether the listener and the emulator count the same attempts.

Virtual time always; scaled time too with ``--scaled SCALE`` (real seconds per emulated
second), with arrivals over ``--scaled-period`` hours (default 4). Scaled time stays true only
while the machine keeps up with the clock: at 0.01, 1,000 requests over 4 hours is about 40
callbacks per real second, which this 2-core machine sustains; squeezed into half an hour it is
about 300 per second, and the signers' actions and the callbacks fall behind their times.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import hsnb
from hsnb.analysis import lifecycle, signer_times
from hsnb.retries import retry_stats
from hsnb.simulation import ReceiverBehaviour, Workload

#: Configured medians (seconds) and the workload that uses them.
MEDIANS = {"processing": 40.0, "to_view": 300.0, "on_page": 120.0, "callback lag": 1.5}


def workload(requests: int, period: float) -> Workload:
    """Two-signer requests, every one signed; retries from a receiver that fails on purpose."""
    return Workload(
        requests=requests,
        period=period,
        signers=(0.0, 1.0),
        documents={"good": 1.0},
        templates=0.0,
        ordered=0.0,
        decline=0.0,
        never_act=0.0,
        expires_in=None,
        view_delay=f"lognormal:{MEDIANS['to_view']},0.8",
        sign_delay=f"lognormal:{MEDIANS['on_page']},0.6",
        processing_delay=f"lognormal:{MEDIANS['processing']},0.5",
        callback_delay=f"lognormal:{MEDIANS['callback lag']},0.5",
        receiver=ReceiverBehaviour(wrong=0.05, lost=0.05),
    )


def measure(requests: int, period: float, time_scale: float | str, seed: int) -> list[str]:
    """Run one workload; the printed lines."""
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "bench.sqlite"
        result = hsnb.simulate(
            workload(requests, period),
            seed=seed,
            store=store,
            progress=False,
            time_scale=time_scale,
            timeout=3600,
        )
    events, attempts = result.log.events, result.attempts
    cycles = lifecycle(events)
    signers = signer_times(events)
    first = attempts[attempts["attempt"] == 1]
    measured = {
        "processing": cycles["processing"].dt.total_seconds().median(),
        "to_view": signers["to_view"].dt.total_seconds().median(),
        "on_page": signers["on_page"].dt.total_seconds().median(),
        "callback lag": (first["sent_at"] - first["raised_at"]).dt.total_seconds().median(),
    }
    stats = retry_stats(*result.log, attempts)
    complete = int((cycles["final_state"] == "complete").sum())
    lines = [
        f"time_scale={time_scale}: {requests} two-signer requests ({complete} downloadable), "
        f"{len(attempts)} callback attempts in {result.wall_seconds:.1f} s "
        f"({len(attempts) / result.wall_seconds:.0f} attempts/s)",
    ]
    for name, configured in MEDIANS.items():
        value = measured[name]
        ratio = value / configured if not math.isnan(value) else float("nan")
        lines.append(
            f"  {name:<13} median {value:8.2f} s, configured {configured:6.1f} s: {ratio:.3f}x"
        )
    agree = stats.attempts == len(attempts)
    lines.append(
        f"  attempts counted by the listener's view {stats.attempts}, by the emulator "
        f"{len(attempts)}: {'the same' if agree else 'DIFFERENT'} ({stats.lost} lost, "
        f"{stats.not_acknowledged} stored but not acknowledged, {stats.duplicates} duplicates)"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.simulation``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scaled", type=float, help="also run at this time_scale")
    parser.add_argument(
        "--scaled-period",
        type=float,
        default=4.0,
        help="hours of arrivals in the scaled run (default 4: about 3 minutes at 0.01)",
    )
    args = parser.parse_args(argv)
    print("\n".join(measure(args.requests, 8 * 3600.0, "virtual", args.seed)), flush=True)
    if args.scaled:
        period = args.scaled_period * 3600.0
        print("\n".join(measure(args.requests, period, args.scaled, args.seed)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
