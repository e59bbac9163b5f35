"""Emulated time and the one seeded random source: every id, delay and event time comes from here.

:class:`Clock` keeps *emulated* Unix time. It either follows the wall clock (the default: it
starts at the current time) or starts at a fixed epoch and then moves only when something
happens (a timer fires, or :meth:`Clock.advance` is called), so that the same seed and the same
calls give the same ``created_at`` and ``event_time`` values on every run.

Timers (:meth:`Clock.call_later`, :meth:`Clock.sleep`) are kept in emulated seconds. With an
asyncio loop attached, a timer also fires by itself after ``delay * time_scale`` real seconds:
``time_scale=1`` plays time as it is, ``1e-6`` replays 30 hours of callback retries in about
0.1 s, ``0`` fires every timer at once, and ``None`` never fires a timer on its own (only
:meth:`Clock.advance` does; zero-delay timers still run at once). Whichever way a timer fires,
emulated time moves to its deadline first, so event times never depend on real scheduling.

``time_scale="virtual"`` is discrete-event time: timers never fire on real time; whoever runs the
world (:class:`hsnb.emulator.Emulator`) calls :meth:`Clock.fire_next` as soon as nothing is in
flight, so the clock jumps from one due timer to the next. A run then depends only on its seed
and its calls, and goes as fast as the machine allows.

:class:`~hsnb.emulator.service.ids.Randomness` is the single ``random.Random`` of an emulator:
ids and delay draws (:class:`Delay`) all come from it.

Not implemented: timers are not thread-safe; call them from the loop thread only.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hsnb.emulator.service.ids import Counter

logger = logging.getLogger(__name__)

#: 2026-01-01T00:00:00Z, a convenient fixed epoch for reproducible runs.
DEFAULT_EPOCH = 1_767_225_600
#: The ``time_scale`` of discrete-event time (see the module docstring).
VIRTUAL = "virtual"
TimeScale = float | str | None


@dataclass(order=True)
class Timer:
    """A callback due at an emulated time; ``cancel()`` makes it a no-op."""

    deadline: float
    seq: int
    callback: Callable[[], Any] = field(compare=False)
    #: What the callback does, as JSON values a saved state can hold and re-arm (``None``: it
    #: cannot be saved; see :mod:`hsnb.emulator.service.state_file`).
    task: tuple[Any, ...] | None = field(default=None, compare=False)
    cancelled: bool = field(default=False, compare=False)
    fired: bool = field(default=False, compare=False)
    handle: asyncio.TimerHandle | asyncio.Handle | None = field(
        default=None, compare=False, repr=False
    )

    def cancel(self) -> None:
        """Keep the timer from firing (idempotent)."""
        self.cancelled = True
        if self.handle is not None:
            self.handle.cancel()


class Clock:
    """Emulated Unix time with timers that fire on (scaled) real time or on :meth:`advance`.

    ``start``: emulated time at creation (``None``: the current wall time). ``follow_wall``:
    whether emulated time also moves with real time (at ``1 / time_scale`` speed); the default
    is true for a wall-clock start and false for a fixed start, which keeps runs reproducible.
    """

    def __init__(
        self,
        start: float | None = None,
        *,
        time_scale: TimeScale = 1.0,
        follow_wall: bool | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.virtual = time_scale == VIRTUAL
        if self.virtual:
            time_scale = None
        elif time_scale is not None and (
            isinstance(time_scale, str) or time_scale < 0 or not math.isfinite(time_scale)
        ):
            raise ValueError(
                f"time_scale must be a finite number >= 0, None or {VIRTUAL!r}, not {time_scale!r}"
            )
        self._wall_start = start is None
        self.start = float(time.time() if start is None else start)
        self.time_scale: float | None = time_scale  # type: ignore[assignment]
        follow = start is None and not self.virtual
        self.follow_wall = follow if follow_wall is None else follow_wall
        #: Called (on the loop thread) whenever a timer is added or fired: virtual time's driver
        #: waits on it.
        self.on_change: Callable[[], None] = lambda: None
        self._monotonic = monotonic
        self._t0 = monotonic()
        self._virtual = self.start
        self._timers: list[Timer] = []
        self._seq = Counter(0)
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Exceptions raised by timer callbacks (an emulator bug; the tests check it is empty).
        self.errors: list[Exception] = []

    def __repr__(self) -> str:
        scale = VIRTUAL if self.virtual else self.time_scale
        return f"<Clock now={self.now():.3f} time_scale={scale}>"

    def now(self) -> float:
        """Emulated Unix time in seconds (a float)."""
        if self.follow_wall and self.time_scale:
            elapsed = (self._monotonic() - self._t0) / self.time_scale
            return max(self._virtual, self.start + elapsed)
        return self._virtual

    def timestamp(self) -> int:
        """Emulated Unix time in whole seconds, as the API reports times."""
        return int(self.now())

    def real_seconds(self, emulated: float) -> float | None:
        """How long ``emulated`` seconds take in real time (``None``: never on their own)."""
        if emulated <= 0:
            return 0.0
        if self.time_scale is None:
            return None
        return emulated * self.time_scale

    def attach(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Let timers fire on ``loop`` after their scaled real delay (``None`` detaches)."""
        self._loop = loop
        if loop is not None:
            for timer in self._timers:
                self._arm(timer)

    def call_later(
        self, delay: float, callback: Callable[[], Any], *, task: tuple[Any, ...] | None = None
    ) -> Timer:
        """Run ``callback()`` once ``delay`` emulated seconds have passed; return its timer.

        ``task``: what the callback does, as JSON values, for a saved state (see :class:`Timer`).
        """
        timer = Timer(self.now() + max(0.0, delay), next(self._seq), callback, task=task)
        heapq.heappush(self._timers, timer)
        self._arm(timer)
        self.on_change()
        return timer

    async def sleep(self, delay: float) -> None:
        """Wait ``delay`` emulated seconds (on the attached loop)."""
        future = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        timer = self.call_later(delay, wake)
        try:
            await future
        finally:
            timer.cancel()

    def advance(self, seconds: float) -> int:
        """Move emulated time forward, firing every timer that falls due; return how many fired."""
        if not math.isfinite(seconds):
            raise ValueError("advance takes a finite number of seconds")
        if seconds < 0:
            raise ValueError("the clock cannot go backwards")
        return self._fire_due(self.now() + seconds, move_to=True)

    def fire_next(self) -> int:
        """Move emulated time to the next pending timer's deadline and fire every timer due then
        (virtual time's one step); return how many fired (0: nothing is scheduled)."""
        deadline = self.next_deadline()
        if deadline is None:
            return 0
        return self._fire_due(max(deadline, self.now()), move_to=True)

    def reset(self) -> None:
        """Go back to the start (a wall-clock start restarts at the current wall time)."""
        if self._wall_start:
            self.start = time.time()
        self._t0 = self._monotonic()
        self._virtual = self.start

    def pending(self) -> int:
        """How many timers have not fired yet."""
        return sum(1 for t in self._timers if not (t.cancelled or t.fired))

    def next_deadline(self) -> float | None:
        """Emulated time at which the next pending timer fires (``None``: no timer pending).

        A deadline at or before :meth:`now` means that timer is due and fires at once (on the
        attached loop, or on the next :meth:`advance`).
        """
        while self._timers and (self._timers[0].cancelled or self._timers[0].fired):
            heapq.heappop(self._timers)
        return self._timers[0].deadline if self._timers else None

    def is_due(self) -> bool:
        """Whether a pending timer is due at the current emulated time."""
        deadline = self.next_deadline()
        return deadline is not None and deadline <= self.now()

    def cancel_all(self) -> None:
        """Cancel every pending timer (used by reset and shutdown)."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def pending_timers(self) -> list[Timer]:
        """The timers that have not fired, in firing order (deadline, then creation)."""
        return sorted(t for t in self._timers if not (t.cancelled or t.fired))

    @property
    def next_seq(self) -> int:
        """The creation number the next timer gets (ties of deadlines fire in this order)."""
        return self._seq.value

    def restore(self, now: float, timers: list[Timer], next_seq: int) -> None:
        """Go to emulated time ``now`` with exactly ``timers`` pending (a loaded state): every
        other timer is cancelled, the given ones are armed, and new timers are numbered from
        ``next_seq`` on. A clock that follows the wall clock goes on from ``now``."""
        self.cancel_all()
        self._virtual = float(now)
        if self.follow_wall:
            self.start, self._t0 = float(now), self._monotonic()
        self._seq = Counter(next_seq)
        for timer in timers:
            heapq.heappush(self._timers, timer)
            self._arm(timer)
        self.on_change()

    def _arm(self, timer: Timer) -> None:
        if self._loop is None or timer.handle is not None:
            return
        delay = self.real_seconds(timer.deadline - self.now())
        if delay is None:
            return
        timer.handle = self._loop.call_later(delay, self._fire_due, timer.deadline)

    def _fire_due(self, until: float, move_to: bool = False) -> int:
        fired = 0
        while self._timers and self._timers[0].deadline <= until:
            timer = heapq.heappop(self._timers)
            if timer.cancelled or timer.fired:
                continue
            timer.fired = True
            if timer.handle is not None:
                timer.handle.cancel()
            self._virtual = max(self._virtual, timer.deadline)
            try:
                timer.callback()
            except Exception as exc:  # one failing timer must not stop the others or the loop
                logger.debug("timer callback failed", exc_info=True)
                self.errors.append(exc)
            fired += 1
        if move_to:
            self._virtual = max(self._virtual, until)
        if fired:
            self.on_change()
        return fired


@dataclass(frozen=True)
class Delay:
    """A distribution of emulated delays in seconds, drawn from the emulator's random source.

    >>> Delay.fixed(2).draw(random.Random(0))
    2.0
    >>> Delay.zero().draw(random.Random(0))
    0.0
    """

    kind: str
    params: tuple[float, ...] = ()

    @classmethod
    def zero(cls) -> Delay:
        """No delay at all."""
        return cls("fixed", (0.0,))

    @classmethod
    def fixed(cls, seconds: float) -> Delay:
        """Always ``seconds``."""
        return cls("fixed", (float(seconds),))

    @classmethod
    def uniform(cls, low: float, high: float) -> Delay:
        """Uniform between ``low`` and ``high``."""
        return cls("uniform", (float(low), float(high)))

    @classmethod
    def exponential(cls, mean: float) -> Delay:
        """Exponential with the given mean (memoryless waiting, e.g. a signer's reaction)."""
        return cls("exponential", (float(mean),))

    @classmethod
    def lognormal(cls, median: float, sigma: float) -> Delay:
        """Log-normal with the given median and shape (long-tailed, like document conversion)."""
        return cls("lognormal", (float(median), float(sigma)))

    @classmethod
    def parse(cls, spec: Delay | float | int | str | None) -> Delay:
        """Accept a :class:`Delay`, a number of seconds, ``None`` (zero) or text like
        ``"uniform:1,3"``, ``"exponential:60"``, ``"lognormal:2,0.5"``, ``"2.5"``."""
        if spec is None:
            return cls.zero()
        if isinstance(spec, Delay):
            return spec
        if isinstance(spec, (int, float)):
            return cls.fixed(spec)
        kind, _, args = str(spec).partition(":")
        if not args:
            return cls.fixed(float(kind))
        values = tuple(float(v) for v in args.split(","))
        factories = {
            "fixed": cls.fixed,
            "uniform": cls.uniform,
            "exponential": cls.exponential,
            "lognormal": cls.lognormal,
        }
        if kind not in factories:
            raise ValueError(f"unknown delay distribution {kind!r}; use one of {sorted(factories)}")
        return factories[kind](*values)

    def draw(self, rng: random.Random) -> float:
        """One delay in emulated seconds (never negative)."""
        if self.kind == "fixed":
            return max(0.0, self.params[0])
        if self.kind == "uniform":
            return max(0.0, rng.uniform(*self.params))
        if self.kind == "exponential":
            return rng.expovariate(1 / self.params[0]) if self.params[0] > 0 else 0.0
        if self.kind == "lognormal":
            median, sigma = self.params
            return rng.lognormvariate(math.log(median), sigma) if median > 0 else 0.0
        raise ValueError(f"unknown delay distribution {self.kind!r}")

    def __str__(self) -> str:
        return f"{self.kind}:{','.join(f'{p:g}' for p in self.params)}"
