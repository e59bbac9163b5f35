"""Per-account rate limits, counted in fixed windows of real time: three tiers.

Dropbox Sign's help centre ("Which API requests count against the Dropbox Sign API Request
Limit?"; the spec's text says "per hour", the help article "per minute") has three tiers, all per
account: **100 a minute** for standard endpoints, **25 a minute** for the high tier
(:data:`HIGH_TIER`: ``send``, ``send_with_template``, ``bulk_*``, ``create_embedded``,
``create_embedded_with_template``, ``files``, ``files_as_data_uri``, ``files_as_file_url``, template
files, unclaimed drafts) and **10 a minute** in test mode. The emulator's defaults
(``rate_limit``, ``high_tier_rate_limit`` and ``test_mode_rate_limit`` in
:class:`~hsnb.emulator.service.config.EmulatorConfig`) are those numbers: every authenticated call
counts against the standard window; a high-tier call also against the high-tier window; a
create/send with ``test_mode=true`` also against the test-mode window (UNCONFIRMED: whether the
real tiers overlap like this, and which calls the test-mode limit counts; counting only test-mode
creates keeps ordinary notebooks under it). The headers report the tightest window the call
counted in. ``None`` switches a limit off. The window runs on real (monotonic) time, not emulated
time: a rate limit is about how fast a client calls. Over a limit -> 429 ``exceeded_rate``.

Headers, as the spec names them: ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``,
``X-Ratelimit-Reset`` (wall-clock Unix time the window ends: the window is real time, so a client
can compute its wait from it even when the emulated clock starts in the past). A 429 also carries
``Retry-After`` (whole seconds; UNCONFIRMED for the real service, and urllib3 under the official
SDK honours it by sleeping and retrying). With a limit switched off no rate-limit headers are
sent.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from hsnb.errors import ExceededRate

#: The high-tier operations (``path`` after ``/v3``, without the id), 25 calls a minute.
HIGH_TIER = frozenset(
    {
        "/signature_request/send",
        "/signature_request/send_with_template",
        "/signature_request/bulk_send_with_template",
        "/signature_request/bulk_create_embedded_with_template",
        "/signature_request/create_embedded",
        "/signature_request/create_embedded_with_template",
        "/signature_request/files",
        "/signature_request/files_as_data_uri",
        "/signature_request/files_as_file_url",
        "/template/files",
        "/template/files_as_data_uri",
        "/template/files_as_file_url",
        "/unclaimed_draft/create",
        "/unclaimed_draft/create_embedded",
        "/unclaimed_draft/create_embedded_with_template",
        "/unclaimed_draft/edit_and_resend",
    }
)


def is_high_tier(path: str) -> bool:
    """Whether the call to ``path`` (with or without ``/v3`` and an id) is high-tier.

    >>> is_high_tier("/v3/signature_request/files/abc"), is_high_tier("/v3/signature_request/abc")
    (True, False)
    """
    path = path.removeprefix("/v3").rstrip("/")
    return path in HIGH_TIER or path.rsplit("/", 1)[0] in HIGH_TIER


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
    """Fixed-window counters per key (an account id, in each tier)."""

    def __init__(
        self,
        limit: int | None,
        test_mode_limit: int | None,
        window: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        high_tier_limit: int | None = None,
    ) -> None:
        self.limit = limit
        self.test_mode_limit = test_mode_limit
        self.high_tier_limit = high_tier_limit
        self.window = window
        self._monotonic = monotonic
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> RateStatus:
        """Count one call for ``key``; raises :class:`ExceededRate` past ``limit``."""
        return self._count(key, self.limit, "")

    def hit_high_tier(self, key: str) -> RateStatus:
        """Count one high-tier call for ``key`` against ``high_tier_limit``."""
        return self._count(f"{key}:high_tier", self.high_tier_limit, " for this endpoint")

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
