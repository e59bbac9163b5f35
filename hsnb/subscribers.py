"""A listener's delivery hooks (:meth:`hsnb.listener.Listener.on_delivery`), and the events
whose hooks have not run yet, so that ``wait_for`` returns only once they ran."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable

from hsnb.receiver import Answer

logger = logging.getLogger(__name__)

#: A function called with each request's :class:`~hsnb.receiver.Answer`.
DeliveryHook = Callable[[Answer], None]


class Subscribers:
    """A listener's delivery hooks, and the events whose hooks have not run yet.

    An event becomes visible in the store when its transaction commits, a moment before its
    handler runs the hooks; :meth:`pending` lets ``wait_for`` wait for the hooks as well.
    """

    def __init__(self, notify: Callable[[], None]) -> None:
        self._hooks: list[DeliveryHook] = []
        self._unsettled: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._notify = notify

    def add(self, hook: DeliveryHook) -> Callable[[], None]:
        """Add a hook; return the function that removes it."""
        self._hooks.append(hook)

        def remove() -> None:
            if hook in self._hooks:
                self._hooks.remove(hook)

        return remove

    def expect(self, key: str | None) -> None:
        """An event with this identity is being stored; its hooks are still to run."""
        if key is not None:
            with self._lock:
                self._unsettled[key] += 1

    def call(self, answer: Answer) -> None:
        """Run every hook on ``answer`` (a broken hook is logged, never raised)."""
        for hook in tuple(self._hooks):  # a hook may remove itself (or another) meanwhile
            try:
                hook(answer)
            except Exception:  # a subscriber's bug must not break the listener
                logger.exception("delivery hook failed")

    def settle(self, key: str | None) -> None:
        """The hooks for this identity ran (or never will): wake ``wait_for``."""
        if key is None:
            return
        with self._lock:
            self._unsettled[key] -= 1
            if self._unsettled[key] <= 0:
                del self._unsettled[key]
        self._notify()

    def pending(self, key: str) -> bool:
        """Whether a delivery of this identity still waits for its commit or hooks."""
        with self._lock:
            return key in self._unsettled
