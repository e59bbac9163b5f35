"""Discrete-event time: the clock jumps to the next due timer as soon as the world is quiet.

With ``time_scale="virtual"`` no timer fires on real time. :class:`VirtualTime` runs on the
emulator's loop and, whenever nothing is in flight, fires the next timer
(:meth:`~hsnb.emulator.service.clock.Clock.fire_next`). The world is quiet when:

* no timer is due at the current emulated time (zero-delay timers have run);
* no callback is queued, on the wire or being answered (a receiver that commits before it
  answers is part of the world: its commit happens at the emulated time of the attempt);
* no ``file_urls`` download and no CPU work (reading documents) is in flight;
* nobody holds the clock: an actor outside the loop (a workload script calling the API over
  HTTP) takes a :meth:`hold` when its action falls due and releases it once the call returned.

So a run's results depend only on its seed and its calls, never on how fast the machine is or
what else it does, and 30 hours of retries take as long as the work in them.

Nothing here imports tornado.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator

from hsnb.emulator.service.clock import Clock

logger = logging.getLogger(__name__)

#: Something that says how much work it has in flight (dispatcher, downloads, CPU work).
Source = Callable[[], int]


class VirtualTime:
    """Drives a virtual :class:`Clock` on one asyncio loop (see the module docstring)."""

    def __init__(self, clock: Clock, sources: list[Source]) -> None:
        self.clock = clock
        self.sources = list(sources)
        self._holds = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        #: How many times the clock jumped (for tests and progress).
        self.steps = 0

    def start(self) -> None:
        """Start driving the clock (call on the loop thread)."""
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self.clock.on_change = self.notify
        self._task = self._loop.create_task(self._run())

    async def stop(self) -> None:
        """Stop driving (the clock stays where it is)."""
        task, self._task = self._task, None
        self.clock.on_change = lambda: None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def notify(self) -> None:
        """Something changed (work finished, a timer was added): look again. Thread-safe."""
        loop, changed = self._loop, self._changed
        if loop is None or changed is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            changed.set()
        else:
            loop.call_soon_threadsafe(changed.set)

    def busy(self) -> int:
        """Holds plus work in flight (0: quiet, apart from due timers)."""
        with self._lock:
            holds = self._holds
        return holds + sum(source() for source in self.sources)

    def acquire(self) -> None:
        """Hold the clock (thread-safe); pair with :meth:`release`."""
        with self._lock:
            self._holds += 1

    def release(self) -> None:
        """Release a hold taken with :meth:`acquire` (thread-safe)."""
        with self._lock:
            self._holds = max(0, self._holds - 1)
        self.notify()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Keep the clock where it is while the block runs."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    async def _run(self) -> None:
        assert self._changed is not None
        while True:
            self._changed.clear()
            if self.clock.is_due() or self.busy():
                await self._changed.wait()
                continue
            if self.clock.next_deadline() is None:
                await self._changed.wait()
                continue
            try:
                self.clock.fire_next()
            except Exception:  # a timer's bug is recorded by the clock; keep driving
                logger.exception("virtual time step failed")
            self.steps += 1
            await asyncio.sleep(0)  # let what the timers started begin
