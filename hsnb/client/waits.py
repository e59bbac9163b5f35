"""How long the client waits: after a 429, and between polls of an answer that is not ready.

Small pure functions, so each rule is tested on its own (``tests/client/test_waits.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping


def rate_limit_delay(headers: Mapping[str, str], now: float, margin: float = 1.0) -> float:
    """Seconds to wait after a 429: ``Retry-After`` if sent, else until ``X-Ratelimit-Reset``.

    The reset is a whole Unix second, so ``margin`` is added; a reset already past (or a server
    clock behind ours) gives just the margin. A missing or unreadable header gives the margin.
    """
    retry_after = _number(headers.get("Retry-After"))
    if retry_after is not None:
        return max(retry_after, 0.0)
    reset = _number(headers.get("X-Ratelimit-Reset"))
    if reset is None:
        return margin
    return max(reset - now, 0.0) + margin


def poll_delays(
    initial: float = 0.25, maximum: float = 5.0, factor: float = 2.0
) -> Iterator[float]:
    """Backoff for polling: ``initial``, then times ``factor`` each step, capped at ``maximum``."""
    delay = initial
    while True:
        yield delay
        delay = min(delay * factor, maximum)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
