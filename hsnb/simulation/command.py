"""``hsnb simulate``: run a seeded workload through the emulator into an event store.

    hsnb simulate --seed 7 --requests 300 --store day.sqlite --preset working-day
    hsnb simulate --seed 1 --requests 1000 --store storm.sqlite --receiver lost=0.2,wrong=0.1

Prints a progress bar on stderr, then a summary (requests, events, attempts and what became
of them, wall time). Every knob of :class:`~hsnb.simulation.Workload` has an option.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hsnb.simulation.workload import PRESETS, ReceiverBehaviour


def _shares(text: str) -> dict[str, float]:
    """``"good=0.9,malformed_tag=0.1"`` as a dict."""
    out = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if not value:
            raise argparse.ArgumentTypeError(f"expected name=share, not {part!r}")
        out[name.strip()] = float(value)
    return out


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split(","))


#: Workload knobs offered as options: name -> (type, help).
KNOBS: dict[str, tuple[Any, str]] = {
    "period": (float, "emulated seconds over which requests arrive"),
    "signers": (_floats, "shares of requests with 1, 2, 3... signers, e.g. 0.5,0.35,0.15"),
    "documents": (_shares, "document mix, e.g. good=0.9,malformed_tag=0.05,unreachable_url=0.05"),
    "embedded": (float, "share made with create_embedded (the rest: send)"),
    "templates": (float, "share made from a template"),
    "ordered": (float, "share of multi-signer requests signed in order"),
    "view_delay": (str, "sent to viewed, e.g. lognormal:600,1"),
    "sign_delay": (str, "viewed to signed or declined, e.g. lognormal:120,0.7"),
    "decline": (float, "share of signers who decline"),
    "never_act": (float, "share of signers who never act (the request expires)"),
    "expires_in": (float, "emulated seconds until a request expires"),
    "processing_delay": (str, "document processing, e.g. lognormal:40,0.5"),
    "file_prep_delay": (str, "final files, e.g. lognormal:3,0.4"),
    "callback_delay": (str, "the service's queueing lag, e.g. lognormal:1.5,0.5"),
    "receiver": (_shares, "receiver misbehaviour shares: wrong=,slow=,lost="),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``hsnb simulate``."""
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same log")
    parser.add_argument("--requests", type=int, default=100, help="how many requests (100)")
    parser.add_argument("--store", required=True, help="the SQLite event store to write")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="working-day")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--timeout", type=float, default=3600.0, help="real seconds at most")
    for name, (kind, text) in KNOBS.items():
        parser.add_argument("--" + name.replace("_", "-"), type=kind, help=text)


def run(args: argparse.Namespace) -> int:
    """Run the workload; print the summary."""
    from hsnb.simulation import simulate

    knobs = {name: getattr(args, name) for name in KNOBS if getattr(args, name) is not None}
    if "receiver" in knobs:
        knobs["receiver"] = ReceiverBehaviour(**knobs["receiver"])
    result = simulate(
        preset=args.preset,
        seed=args.seed,
        store=args.store,
        progress=not args.no_progress,
        timeout=args.timeout,
        requests=args.requests,
        **knobs,
    )
    print(summary(result), flush=True)
    return 0


def summary(result: Any) -> str:
    """A few lines on what a simulation made."""
    attempts = result.attempts
    outcomes = attempts["outcome"].value_counts()
    shown = ", ".join(f"{n} {name}" for name, n in outcomes.items() if n)
    events = result.log.events
    return "\n".join(
        [
            f"{len(result.plans)} requests, {len(events)} events, "
            f"{len(result.log.deliveries)} deliveries stored in {result.store}",
            f"{len(attempts)} callback attempts: {shown}",
            f"emulated {_span(events)}, in {result.wall_seconds:.1f} s of real time",
        ]
    )


def _span(events: Any) -> str:
    if events.empty:
        return "nothing"
    span = events["event_time"].max() - events["event_time"].min()
    return f"{span.total_seconds() / 3600:.1f} h"


def main(argv: list[str] | None = None) -> int:
    """``python -m hsnb.simulation.command``."""
    parser = argparse.ArgumentParser(prog="hsnb simulate", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
