"""Callback delivery: POST each event until it is acknowledged, on Dropbox Sign's retry schedule.

One lane (an ``asyncio.Queue`` and its worker tasks) per callback URL, so a slow or dead receiver
holds up only its own lane and the API never waits for any of it. A lane has ``concurrency``
workers: with one (the default) deliveries to one receiver keep their order; with more, that many
attempts are in flight at once (a heavy workload on scaled time keeps up, and arrivals may
overtake each other, as they may at Dropbox Sign). Virtual time sends one attempt at a time
whatever the setting, so that a run's arrivals have one order.

A delivery counts only when the answer is HTTP 200 with ``Hello API Event Received`` in the body
within the timeout (30 s, scaled by the clock's ``time_scale`` but never below ``min_real_timeout``
real seconds). A failed attempt is retried after 5 min x 3^(n-1) (n = 1..6: 5 min, 15 min, 45 min,
2 h 15 min, 6 h 45 min, 20 h 15 min, emulated; the legacy FAQ's schedule); after the 6th retry
fails the delivery goes to the dead-letter list. UNCONFIRMED: whether the real service then also
disables the callback URL (the emulator does not). Every attempt is logged as an :class:`Attempt`.

The retry policy is a few pure functions (:func:`retry_delay`, :func:`should_retry`, and
:func:`hsnb.payloads.classify` for an answer); the transport is injected (:class:`Transport`), so
nothing here imports tornado.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from hsnb.emulator.service.callbacks import Delivery
from hsnb.emulator.service.clock import Clock
from hsnb.emulator.service.config import RetryPolicy
from hsnb.emulator.service.faults import Faults
from hsnb.payloads import classify, compact_json, encode_callback_multipart

logger = logging.getLogger(__name__)

ACKNOWLEDGED = "acknowledged"
#: The task of a timer that makes a delivery attempt (see :meth:`Dispatcher.job`).
DELIVER = "deliver"


DEFAULT_POLICY = RetryPolicy()


def retry_delay(retry_number: int, policy: RetryPolicy = DEFAULT_POLICY) -> float:
    """Emulated seconds from a failed attempt to retry number ``retry_number`` (1-based).

    >>> [retry_delay(n) / 60 for n in range(1, 7)]
    [5.0, 15.0, 45.0, 135.0, 405.0, 1215.0]
    """
    if retry_number < 1:
        raise ValueError("retries are numbered from 1")
    delay = policy.base_delay * policy.factor ** (retry_number - 1)
    return delay if policy.max_delay is None else min(delay, policy.max_delay)


def should_retry(attempts_made: int, policy: RetryPolicy = DEFAULT_POLICY) -> bool:
    """Whether a delivery that failed ``attempts_made`` times (first attempt included) retries."""
    return attempts_made - 1 < policy.max_retries


@dataclass(frozen=True)
class Response:
    """What a transport got back: a status and body, or an error (``status`` ``None``)."""

    status: int | None
    body: bytes = b""
    error: str | None = None
    timed_out: bool = False
    #: What the receiver said its answer took, in emulated seconds (``X-Hsnb-Answer-Time``,
    #: see :mod:`hsnb.clock_header`); heeded under virtual time only.
    answer_time: float | None = None


class Transport(Protocol):
    """POSTs one callback; never raises for network problems (they become a :class:`Response`)."""

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> Response:
        """POST ``body`` to ``url`` within ``timeout`` real seconds; what came back."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True)
class Attempt:
    """One POST of one delivery: when (emulated), what came back, and what happens next."""

    delivery_id: int
    attempt: int
    url: str
    event_type: str
    event_time: int
    raised_at: float
    callback_type: str
    signature_request_id: str | None
    related_signature_id: str | None
    sent_at: float
    outcome: str
    status: int | None
    body_excerpt: str
    error: str | None
    duration: float
    next_attempt_at: float | None


@dataclass
class _Job:
    delivery: Delivery
    attempt: int = 1


@dataclass
class _Lane:
    queue: asyncio.Queue[_Job]
    tasks: list[asyncio.Task[None]] = field(default_factory=list, repr=False)
    busy: int = 0


AttemptHook = Callable[[Attempt], None]


class Dispatcher:
    """Delivers :class:`Delivery` objects with retries; lives on one asyncio loop.

    Call :meth:`enqueue` on that loop's thread. ``on_attempt`` hooks run after each attempt
    (on the loop thread; keep them quick).
    """

    def __init__(
        self,
        clock: Clock,
        transport: Transport,
        *,
        policy: RetryPolicy | None = None,
        faults: Faults | None = None,
        min_real_timeout: float = 1.0,
        excerpt_chars: int = 200,
        concurrency: int = 1,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"callback concurrency must be at least 1, not {concurrency}")
        self.clock = clock
        self.concurrency = concurrency
        self.transport = transport
        self.policy = policy or RetryPolicy()
        self.faults = faults or Faults()
        self.min_real_timeout = min_real_timeout
        self.excerpt_chars = excerpt_chars
        self.hooks: list[AttemptHook] = []
        #: Called on the loop thread after every attempt (virtual time listens to it).
        self.on_change: Callable[[], None] = lambda: None
        #: Headers added to every attempt, from ``(delivery, attempt number, sent_at)`` (the
        #: emulator's signed clock and attempt headers: :mod:`hsnb.clock_header`).
        self.extra_headers: Callable[[Delivery, int, float], dict[str, str]] = (
            lambda delivery, attempt, sent_at: {}
        )
        self.attempts: list[Attempt] = []
        self.dead_letters: list[Delivery] = []
        self._lanes: dict[str, _Lane] = {}
        self._unsettled = 0
        self._idle: asyncio.Event | None = None
        self._one_at_a_time: asyncio.Lock | None = None

    @property
    def unsettled(self) -> int:
        """Deliveries neither acknowledged nor given up yet (queued, in flight or waiting)."""
        return self._unsettled

    @property
    def in_flight(self) -> int:
        """Jobs queued in a lane or being POSTed now.

        Deliveries waiting for a retry or for a delay (a ``delay`` fault, ``callback_delay``)
        are not in flight: they sit on the clock as timers until their time comes.
        """
        return sum(lane.queue.qsize() + lane.busy for lane in self._lanes.values())

    def real_timeout(self) -> float:
        """The per-attempt timeout in real seconds (virtual time: ``min_real_timeout``, as no
        emulated time passes while an attempt is answered)."""
        if self.clock.virtual:
            return self.min_real_timeout
        scaled = self.clock.real_seconds(self.policy.timeout)
        return self.policy.timeout if scaled is None else max(scaled, self.min_real_timeout)

    def enqueue(self, delivery: Delivery) -> None:
        """Deliver ``delivery``: first attempt after its ``delay`` (emulated seconds, plus a
        ``delay`` fault's), as soon as its lane is free."""
        fault = self.faults.take("callback", delivery.event_type, ("delay", "duplicate"))
        copies = 2 if fault is not None and fault.action == "duplicate" else 1
        delayed = fault is not None and fault.action == "delay"
        wait = delivery.delay + (fault.seconds if fault is not None and delayed else 0.0)
        self._unsettled += copies
        self._idle_event().clear()
        for _ in range(copies):
            if delayed or wait > 0:
                self.clock.call_later(wait, self.job(delivery, 1), task=(DELIVER, delivery, 1))
            else:
                self._put(_Job(delivery))

    async def wait_settled(self, timeout: float) -> bool:
        """Wait until every delivery is acknowledged or dead; ``False`` on timeout."""
        try:
            await asyncio.wait_for(self._idle_event().wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def wait_idle(
        self, timeout: float, poll: float = 0.001, *, busy: Callable[[], bool] | None = None
    ) -> bool:
        """Wait until nothing is :attr:`in_flight`, no timer is due at the current emulated
        time and ``busy()`` (other work that will raise events, e.g. downloads) is false, checked
        every ``poll`` real seconds; ``False`` on timeout.

        With a manual clock (``time_scale=None``) this is the moment to move the clock on:
        everything that could happen at this emulated time has happened.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.in_flight or self.clock.is_due() or (busy is not None and busy()):
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(poll)
        return True

    def reset(self) -> None:
        """Forget queued deliveries, the attempt log and the dead letters."""
        self._drop_lanes()
        self.attempts.clear()
        self.dead_letters.clear()

    def job(self, delivery: Delivery, attempt: int) -> Callable[[], None]:
        """What a timer calls to make attempt number ``attempt`` of ``delivery`` (the timer's
        task is ``("deliver", delivery, attempt)``, so a saved state can re-arm it)."""
        return lambda: self._put(_Job(delivery, attempt))

    def restore(self, attempts: list[Attempt], dead_letters: list[Delivery], waiting: int) -> None:
        """Take a saved state's attempt log and dead letters; ``waiting`` deliveries wait on
        the clock (their timers are re-armed by the caller) and are not settled yet."""
        self._drop_lanes()
        self.attempts[:] = attempts
        self.dead_letters[:] = dead_letters
        self._unsettled = waiting
        if waiting:
            self._idle_event().clear()

    async def close(self) -> None:
        """Stop every worker and close the transport (the attempt log stays readable)."""
        for task in self._drop_lanes():
            try:
                await task
            except asyncio.CancelledError:
                pass
        self.transport.close()

    def _drop_lanes(self) -> list[asyncio.Task[None]]:
        tasks = [task for lane in self._lanes.values() for task in lane.tasks]
        for task in tasks:
            task.cancel()
        self._lanes.clear()
        self._unsettled = 0
        self._idle_event().set()
        return tasks

    def _idle_event(self) -> asyncio.Event:
        if self._idle is None:
            self._idle = asyncio.Event()
            self._idle.set()
        return self._idle

    def _serial(self) -> asyncio.Lock:
        if self._one_at_a_time is None:
            self._one_at_a_time = asyncio.Lock()
        return self._one_at_a_time

    def _put(self, job: _Job) -> None:
        lane = self._lanes.get(job.delivery.url)
        if lane is None:
            loop = asyncio.get_running_loop()  # first: no lane without a worker
            lane = self._lanes[job.delivery.url] = _Lane(asyncio.Queue())
            lane.tasks = [loop.create_task(self._work(lane)) for _ in range(self.concurrency)]
        lane.queue.put_nowait(job)

    async def _work(self, lane: _Lane) -> None:
        while True:
            job = await lane.queue.get()
            lane.busy += 1
            try:
                if self.clock.virtual:  # one attempt at a time: arrivals in a fixed order
                    async with self._serial():
                        await self._attempt(job)
                else:
                    await self._attempt(job)
            except Exception:  # an emulator bug must not kill the lane or hang wait_settled
                logger.exception("callback attempt failed")
                self._settle()
            finally:
                lane.busy -= 1
                lane.queue.task_done()
                self.on_change()

    async def _attempt(self, job: _Job) -> None:
        delivery = job.delivery
        sent_at = self.clock.now()
        started = time.monotonic()
        if self.faults.take("callback", delivery.event_type, ("drop",)) is not None:
            response = Response(None, error="dropped by fault injection")
            outcome = "dropped"
        else:
            text = compact_json(delivery.payload)
            # libcurl draws a boundary per request; the emulator derives it from the attempt, so
            # the same run gives the same bytes on the wire.
            seed = f"{delivery.delivery_id}.{job.attempt}.{text}".encode()
            boundary = "-" * 24 + hashlib.sha256(seed).hexdigest()[:16]
            body, content_type = encode_callback_multipart(text, boundary)
            headers = {
                **self.extra_headers(delivery, job.attempt, sent_at),
                "Content-Type": content_type,
            }
            response = await self.transport.post(delivery.url, body, headers, self.real_timeout())
            response = self._on_virtual_time(response)
            outcome = classify(
                response.status,
                response.body,
                timed_out=response.timed_out,
                exact=self.policy.ack == "exact",
            )
        retry = outcome != ACKNOWLEDGED and should_retry(job.attempt, self.policy)
        next_at = sent_at + retry_delay(job.attempt, self.policy) if retry else None
        self._log(job, sent_at, outcome, response, time.monotonic() - started, next_at)
        if retry:
            delay = retry_delay(job.attempt, self.policy)
            later = job.attempt + 1
            self.clock.call_later(delay, self.job(delivery, later), task=(DELIVER, delivery, later))
            return
        if outcome != ACKNOWLEDGED:
            self.dead_letters.append(delivery)
        self._settle()

    def _on_virtual_time(self, response: Response) -> Response:
        """An answer that says it took longer than the timeout, under virtual time: a timeout
        (real time on the wire says nothing there; see :mod:`hsnb.clock_header`)."""
        took = response.answer_time
        if not self.clock.virtual or took is None or took <= self.policy.timeout:
            return response
        error = f"no answer within {self.policy.timeout:g} s (the receiver took {took:g} s)"
        return Response(None, error=error, timed_out=True, answer_time=took)

    def _settle(self) -> None:
        self._unsettled -= 1
        if self._unsettled <= 0:
            self._unsettled = 0
            self._idle_event().set()

    def _log(
        self,
        job: _Job,
        sent_at: float,
        outcome: str,
        response: Response,
        duration: float,
        next_at: float | None,
    ) -> None:
        delivery = job.delivery
        attempt = Attempt(
            delivery_id=delivery.delivery_id,
            attempt=job.attempt,
            url=delivery.url,
            event_type=delivery.event_type,
            event_time=delivery.event_time,
            raised_at=delivery.raised_at,
            callback_type=delivery.callback_type,
            signature_request_id=delivery.signature_request_id,
            related_signature_id=delivery.related_signature_id,
            sent_at=sent_at,
            outcome=outcome,
            status=response.status,
            body_excerpt=response.body[: self.excerpt_chars].decode("utf-8", "replace"),
            error=response.error,
            duration=duration,
            next_attempt_at=next_at,
        )
        self.attempts.append(attempt)
        for hook in self.hooks:
            try:
                hook(attempt)
            except Exception:  # a subscriber's bug must not stop deliveries
                logger.exception("attempt hook failed")
