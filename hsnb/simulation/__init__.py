"""Workloads you can measure: ``hsnb.simulate`` runs many requests through the real emulator.

>>> import hsnb
>>> result = hsnb.simulate(requests=3, seed=1, progress=False)
>>> len(result.plans), result.log.events["signature_request_id"].nunique() <= 3
(3, True)

:func:`simulate` plans a :class:`Workload` (arrivals, signers, documents, signer behaviour, a
receiver that fails on purpose) from a seed, runs it over HTTP on virtual time
(:mod:`hsnb.simulation.runner`) and returns the log: the listener's events and deliveries and the
emulator's attempts, every time on the emulator's clock. The same seed gives the same log on any
machine under any load; a run takes as long as its work, not its emulated hours.
Named workloads: :data:`PRESETS` (``working-day``, ``retry-storm``, ``bad-uploads``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hsnb.simulation.workload import (
    DOCUMENT_KINDS,
    PRESETS,
    ReceiverBehaviour,
    RequestPlan,
    SignerPlan,
    Workload,
    plan,
)
from hsnb.store import EventStore

if TYPE_CHECKING:
    import pandas as pd

    from hsnb.analysis import EventLog

__all__ = [
    "DOCUMENT_KINDS",
    "PRESETS",
    "ReceiverBehaviour",
    "RequestPlan",
    "SignerPlan",
    "SimulationResult",
    "Workload",
    "plan",
    "simulate",
]


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate` made: the listener's ``log`` (events, deliveries), the emulator's
    ``attempts`` (every callback POST, :data:`hsnb.frames.ATTEMPT_COLUMNS`) and how it went.

    ``store`` is the path of the event store (``None`` for an in-memory one, whose frames are
    in ``log`` only); ``receiver`` counts what the misbehaving receiver did per attempt.
    """

    workload: Workload
    seed: int
    plans: list[RequestPlan]
    log: EventLog
    attempts: pd.DataFrame
    store: Path | None
    wall_seconds: float
    receiver: dict[str, int]
    refused_actions: int

    def __repr__(self) -> str:
        events, attempts = len(self.log.events), len(self.attempts)
        return (
            f"<SimulationResult seed={self.seed} requests={len(self.plans)} events={events} "
            f"attempts={attempts} wall={self.wall_seconds:.1f}s>"
        )


def simulate(
    workload: Workload | None = None,
    *,
    seed: int = 0,
    preset: str | None = None,
    store: str | Path | None = None,
    progress: bool = True,
    timeout: float = 600.0,
    time_scale: float | str = "virtual",
    start_time: float | None = None,
    **knobs: Any,
) -> SimulationResult:
    """Run a workload and return its log (see the module docstring).

    ``workload`` (or the named ``preset``, default ``working-day``), with any of its knobs
    changed by keyword (``requests=1000``, ``receiver={"lost": 0.15}``). ``store``: a SQLite
    file to write (kept afterwards), or ``None`` for an in-memory store. ``progress``: a bar in
    the terminal or notebook. ``time_scale``: ``"virtual"`` (exact, repeatable, fast) or real
    seconds per emulated second to watch it run (see the README for the fastest scale that
    keeps emulated delays right). ``start_time``: when the emulated world starts, Unix seconds
    (default :data:`hsnb.emulator.DEFAULT_EPOCH`, 2026-01-01 00:00 UTC). Raises ``ValueError``
    for an unknown preset or knob and :class:`~hsnb.simulation.runner.SimulationError` if the
    run does not end in ``timeout`` real seconds.
    """
    from hsnb.analysis import read_log
    from hsnb.simulation.runner import close, run_workload

    if workload is not None and preset is not None:
        raise ValueError("give a workload or a preset, not both")
    if workload is None:
        name = preset or "working-day"
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; use one of {sorted(PRESETS)}")
        workload = PRESETS[name]
    if knobs:
        workload = workload.replace(**knobs)
    target = EventStore(store) if store is not None else EventStore()
    bar = _progress_bar(workload.requests) if progress else None

    def report(done: int, total: int) -> None:
        if bar is not None:
            bar.update(done - bar.n)

    try:
        run, wall = run_workload(
            workload,
            seed=seed,
            store=target,
            progress=report,
            timeout=timeout,
            time_scale=time_scale,
            **({} if start_time is None else {"start_time": float(start_time)}),
        )
    finally:
        if bar is not None:
            bar.close()
    try:
        attempts = run.emulator.deliveries()
        read = read_log(target)
    finally:
        close(run)
        target.close()  # the file is complete and free for others once this returns
    return SimulationResult(
        workload=workload,
        seed=seed,
        plans=run.plans,
        log=read,
        attempts=attempts,
        store=Path(store) if store is not None else None,
        wall_seconds=wall,
        receiver=dict(run.policy.choices),
        refused_actions=run.refused,
    )


def _progress_bar(total: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="requests ended", unit="req", leave=False)
