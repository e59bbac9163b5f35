"""Per-account rate limits, counted in fixed windows of real time.

Dropbox Sign allows 100 requests a minute per account, and 10 a minute in test mode
([HELP-rate] in the fact sheet; the spec's text says "per hour", the help article "per minute").
The emulator's defaults (``rate_limit`` and ``test_mode_rate_limit`` in
:class:`~hsnb.emulator.service.config.EmulatorConfig`) follow the help article: 100 for every
authenticated call and, on top, 10 for create/send calls with ``test_mode=true`` (UNCONFIRMED which
calls the real test-mode limit counts; counting only those keeps ordinary notebooks under it).
``None`` switches a limit off. The window runs on real (monotonic) time, not emulated time: a
rate limit is about how fast a client calls. Over the limit -> 429 ``exceeded_rate``.

Headers, as the spec names them: ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``,
``X-Ratelimit-Reset`` (wall-clock Unix time the window ends: the window is real time, so a client
can compute its wait from it even when the emulated clock starts in the past). A 429 also carries
``Retry-After`` (whole seconds). With a limit switched off no rate-limit headers are sent.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from hsnb.errors import ExceededRate


@dataclass(frozen=True)
class RateStatus:
    """Where a key stands in its window."""

    limit: int | None
    remaining: int
    reset_in: float
    exceeded: bool = False

    def headers(self, now: float | None = None) -> dict[str, str]:
        """The spec's three rate-limit headers (``now``: wall-clock Unix time, default now).

        Empty when the limit is switched off; with ``Retry-After`` when nothing remains.
        """
        if self.limit is None:
            return {}
        now = time.time() if now is None else now
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-Ratelimit-Reset": str(math.ceil(now + self.reset_in)),
        }
        if self.exceeded:
            headers["Retry-After"] = str(max(1, math.ceil(self.reset_in)))
        return headers


class RateLimiter:
    """Fixed-window counters per key (an account id, or an account id in test mode)."""

    def __init__(
        self,
        limit: int | None,
        test_mode_limit: int | None,
        window: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.test_mode_limit = test_mode_limit
        self.window = window
        self._monotonic = monotonic
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> RateStatus:
        """Count one call for ``key``; raises :class:`ExceededRate` past ``limit``."""
        return self._count(key, self.limit, "")

    def hit_test_mode(self, key: str) -> RateStatus:
        """Count one test-mode create/send for ``key`` against ``test_mode_limit``."""
        return self._count(f"{key}:test_mode", self.test_mode_limit, " in test mode")

    def reset(self) -> None:
        """Forget every counter."""
        self._windows.clear()

    def _count(self, key: str, limit: int | None, scope: str) -> RateStatus:
        now = self._monotonic()
        if limit is None:
            return RateStatus(None, 0, self.window)
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        reset_in = max(0.0, start + self.window - now)
        if count >= limit:
            error = ExceededRate(
                f"Too many requests{scope}: the limit is {limit} per {self.window:g} s."
            )
            error.rate = RateStatus(limit, 0, reset_in, exceeded=True)
            raise error
        self._windows[key] = (start, count + 1)
        return RateStatus(limit, limit - count - 1, reset_in)
