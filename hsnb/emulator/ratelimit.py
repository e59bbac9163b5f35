"""Per-account rate limits, counted in fixed windows of real time.

Dropbox Sign allows 100 requests a minute per account, and 10 a minute in test mode
([HELP-rate] in the fact sheet; the spec's text says "per hour", the help article "per minute").
The emulator's defaults follow the help article: ``limit=100`` for every authenticated call and,
on top, ``test_mode_limit=10`` for create/send calls with ``test_mode=true`` (UNCONFIRMED which
calls the real test-mode limit counts; counting only those keeps ordinary notebooks under it).
``None`` switches a limit off. The window runs on real (monotonic) time, not emulated time: a
rate limit is about how fast a client calls. Over the limit -> 429 ``exceeded_rate``.

Headers, as the spec names them: ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``,
``X-Ratelimit-Reset`` (Unix time the window ends, in emulated time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from hsnb.emulator.exceptions import ExceededRate


@dataclass(frozen=True)
class RateStatus:
    """Where a key stands in its window."""

    limit: int
    remaining: int
    reset_in: float

    def headers(self, now: float) -> dict[str, str]:
        """The spec's three rate-limit headers (``now``: emulated Unix time)."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-Ratelimit-Reset": str(int(now + self.reset_in)),
        }


class RateLimiter:
    """Fixed-window counters per key (an account id, or an account id in test mode)."""

    def __init__(
        self,
        limit: int | None = 100,
        test_mode_limit: int | None = 10,
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
            return RateStatus(self.limit or 0, self.limit or 0, self.window)
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        reset_in = max(0.0, start + self.window - now)
        if count >= limit:
            error = ExceededRate(
                f"Too many requests{scope}: the limit is {limit} per {self.window:g} s."
            )
            error.rate = RateStatus(limit, 0, reset_in)
            raise error
        self._windows[key] = (start, count + 1)
        return RateStatus(limit, limit - count - 1, reset_in)
