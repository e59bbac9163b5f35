"""Where CPU work runs: off the loop that keeps emulated time.

Reading documents and rendering copies takes real CPU time (a 1 MB text document takes
seconds). Done on the loop that fires timers and POSTs callbacks, it would hold every timer
back, so in scaled time each real millisecond would become emulated time. The service hands
such work to a :class:`Worker` and goes on when ``done`` is called back on the loop thread.

* :class:`InlineWorker` runs the work at once (the model tests' backend, with no loop).
* :class:`ThreadWorker` runs it on worker threads and calls ``done`` on the loop; ``ordered``
  (virtual time) calls back in the order the work was given, whatever finished first, so the
  same seed gives the same run (:class:`Sequencer`).

Nothing here imports tornado.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Job(Protocol[T_co]):
    """Work given to a :class:`Worker`."""

    def wait(self) -> T_co:
        """Block until the work is done and take its result: ``done`` is then not called."""
        ...


class Worker(Protocol):
    """Runs CPU work and calls ``done(result)`` on the loop thread (never for cancelled work)."""

    @property
    def in_flight(self) -> int:
        """Work given and not yet done."""
        ...

    def run(self, work: Callable[[], T], done: Callable[[T], None]) -> Job[T]:
        """Run ``work()``; then ``done(result)``. ``work`` must not raise (return the failure)."""
        ...

    def cancel_all(self) -> None:
        """Forget every piece of work not done yet: its ``done`` is never called."""
        ...


class _Done:
    """A job that finished at once."""

    def __init__(self, result: Any) -> None:
        self.result = result

    def wait(self) -> Any:
        """The result (``done`` was called already)."""
        return self.result


class InlineWorker:
    """Runs the work at once, in the caller's thread."""

    in_flight = 0

    def run(self, work: Callable[[], T], done: Callable[[T], None]) -> Job[T]:
        """``done(work())``, now."""
        result = work()
        done(result)
        return _Done(result)

    def cancel_all(self) -> None:
        """Nothing is ever pending."""


class Sequencer:
    """Hands out tickets in order and runs each completion only after every earlier one.

    >>> order = []
    >>> seq = Sequencer()
    >>> first, second = seq.ticket(), seq.ticket()
    >>> seq.complete(second, lambda: order.append("second"))
    >>> seq.complete(first, lambda: order.append("first"))
    >>> order
    ['first', 'second']
    """

    def __init__(self) -> None:
        self._issued = 0
        self._head = 0
        self._ready: dict[int, Callable[[], None]] = {}

    def ticket(self) -> int:
        """The next ticket."""
        self._issued += 1
        return self._issued - 1

    def complete(self, ticket: int, deliver: Callable[[], None]) -> None:
        """``deliver()`` once every earlier ticket was delivered (maybe now)."""
        if ticket < self._head:
            return  # from before a reset
        self._ready[ticket] = deliver
        while self._head in self._ready:
            self._ready.pop(self._head)()
            self._head += 1

    def reset(self) -> None:
        """Forget every ticket in flight; later tickets start a new order."""
        self._ready.clear()
        self._head = self._issued


class ThreadWorker:
    """Runs work on one thread and calls ``done`` back on the loop that gave it (see the module
    docstring); given from a thread without a running loop, the work runs inline.

    ``on_done`` is called on the loop after each ``done`` (virtual time listens to it).
    """

    def __init__(
        self, on_done: Callable[[], None] = lambda: None, *, ordered: bool = False, threads: int = 2
    ) -> None:
        self.on_done = on_done
        self.ordered = ordered
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hsnb-worker")
        self._sequencer = Sequencer()
        self._generation = 0
        self._pending = 0

    @property
    def in_flight(self) -> int:
        """Work given and not yet called back."""
        return self._pending

    def run(self, work: Callable[[], T], done: Callable[[T], None]) -> Job[T]:
        """Queue ``work`` on a worker thread; ``done(result)`` follows on the loop, unless the
        job's :meth:`~_ThreadJob.wait` took the result first."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return InlineWorker().run(work, done)
        job = _ThreadJob(self._executor.submit(work), done, self._generation)
        ticket = self._sequencer.ticket()
        self._pending += 1

        def back(finished: Future[Any]) -> None:
            loop.call_soon_threadsafe(self._arrive, job, ticket)

        job.future.add_done_callback(back)
        return job

    def _arrive(self, job: _ThreadJob[Any], ticket: int) -> None:
        if job.generation != self._generation:
            return
        if self.ordered:
            self._sequencer.complete(ticket, lambda: self._finish(job))
        else:
            self._finish(job)

    def _finish(self, job: _ThreadJob[Any]) -> None:
        try:
            if not job.taken and not job.future.cancelled():
                job.done(job.future.result())
        finally:
            self._pending -= 1
            self.on_done()

    def cancel_all(self) -> None:
        """Forget the work in flight (its results are dropped when they come)."""
        self._generation += 1
        self._pending = 0
        self._sequencer.reset()

    def close(self) -> None:
        """Stop the thread once the work in hand is done."""
        self.cancel_all()
        self._executor.shutdown(wait=False, cancel_futures=True)


class _ThreadJob(Generic[T]):
    """Work on a :class:`ThreadWorker`'s thread."""

    def __init__(self, future: Future[T], done: Callable[[T], None], generation: int) -> None:
        self.future = future
        self.done = done
        self.generation = generation
        self.taken = False

    def wait(self) -> T:
        """Block until the work is done and take its result (``done`` is then not called)."""
        self.taken = True
        return self.future.result()
