"""Build the sample event log in data/events/ with hsnb's workload generator (public API only).

    python data/events/make_sample_log.py            # writes sample-log.sqlite, CSV and JSONL

One emulated working day (Monday 2026-01-05, from 09:00 UTC): :data:`WORKLOAD` (the
``working-day`` preset with forty requests and a receiver that sometimes answers wrongly, too
slowly or not at all) run by :func:`hsnb.simulate` through the real emulator and a real listener,
over HTTP, on virtual time. Every time in the log is on the emulator's clock, ``received_at``
included: the listener stamps each callback with the clock the emulator signs into it, and
nothing is written into the store afterwards. Same seed, same log, on any machine.

Notebook 05 runs the same call and analyses it; this script keeps its result as files, for the
tests, for the other notebooks, and for people without hsnb (CSV and JSONL).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

import hsnb
from hsnb.analysis import read_log
from hsnb.emulator import DEFAULT_EPOCH
from hsnb.simulation import PRESETS, ReceiverBehaviour, SimulationResult, Workload
from hsnb.store import EventStore

HERE = Path(__file__).resolve().parent
SEED = 20260105
#: Monday 2026-01-05, 09:00 UTC.
START = DEFAULT_EPOCH + 4 * 86400 + 9 * 3600
#: Forty requests over seven hours, a few more declines and signers who never act, and a
#: receiver that fails one attempt in ten (see README.md).
WORKLOAD: Workload = PRESETS["working-day"].replace(
    requests=40,
    period=7 * 3600.0,
    decline=0.06,
    never_act=0.04,
    receiver=ReceiverBehaviour(wrong=0.03, slow=0.02, lost=0.05),
)
NAME = "sample-log"
#: Columns left out of the CSV exports: the wall clock of the run that built them, the real
#: seconds an attempt took, and URLs with this run's port (all in the SQLite file or the run).
WALL_COLUMNS = ("received_wall_at",)
RUN_COLUMNS = ("duration", "url")
#: A relayed delivery's columns: this log has no relay (its misbehaving receiver is scripted).
RELAY_COLUMNS = (
    "forwarded_status",
    "forwarded_body_excerpt",
    "forwarded_duration",
    "forward_outcome",
)


def build(out: Path, seed: int = SEED) -> SimulationResult:
    """Run the workload into ``out/sample-log.sqlite`` (replaced) and return the result."""
    target = out / f"{NAME}.sqlite"
    work = out / f"{NAME}.building.sqlite"
    for stale in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
        stale.unlink(missing_ok=True)
    result = hsnb.simulate(WORKLOAD, seed=seed, store=work, start_time=START, progress=False)
    _single_file(work)
    work.replace(target)
    return result


def _single_file(path: Path) -> None:
    """Leave the store as one self-contained file (rollback journal, compacted), so that it can
    be committed and opened read-only; the rows are not touched."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("VACUUM")
    finally:
        db.close()


def export(result: SimulationResult, store: Path, out: Path) -> None:
    """CSV of the events, deliveries and the emulator's attempts, and JSONL of the payloads."""
    events, deliveries = read_log(store)
    events.drop(columns=list(WALL_COLUMNS)).to_csv(out / "sample-events.csv", index=False)
    flat = deliveries.drop(columns=[*WALL_COLUMNS, *RELAY_COLUMNS]).assign(
        content_type=deliveries["content_type"].str.split(";").str[0]
    )
    flat.to_csv(out / "sample-deliveries.csv", index=False)
    attempts = result.attempts.drop(columns=list(RUN_COLUMNS))
    attempts.to_csv(out / "sample-attempts.csv", index=False)
    stored = EventStore(store, read_only=True)  # each payload is kept once, in its body
    try:
        rows = stored.event_rows()
    finally:
        stored.close()
    with (out / "sample-events.jsonl").open("w") as lines:
        for row in rows:
            record = {
                "event_id": row["event_id"],
                "received_at": row["received_at"],
                "deliveries": row["delivery_count"],
                "payload": json.loads(row["payload"]),
            }
            lines.write(json.dumps(record, separators=(",", ":")) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    result = build(args.out, args.seed)
    export(result, args.out / f"{NAME}.sqlite", args.out)
    print(
        f"{NAME}.sqlite: {len(result.log.events)} events, {len(result.log.deliveries)}"
        f" deliveries, {len(result.attempts)} attempts, built in {result.wall_seconds:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
