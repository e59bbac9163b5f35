"""Fault injection: make the emulated service misbehave on purpose, a given number of times.

Targets and actions:

* ``api``: answer the next matching API call (``match``: a substring of the path, or any) with
  an error by ``error_name`` (``maintenance``, ``exceeded_rate``, ``unknown``, ...); or, with
  ``delay``, hold its answer back for ``seconds`` **real** seconds (a slow service, to test
  client timeouts), then answer as usual (an error fault that also matches still applies).
  A client that gives up meanwhile does not undo the call: it takes effect all the same.
* ``processing``: the next signature request(s) fail document processing with ``file_error``,
  ``unknown_error`` or ``signature_request_invalid``.
* ``callback``: deliveries of a matching event type (``match``; any when absent) are
  ``drop``-ped (the attempt counts as failed without being sent: a lost connection),
  ``duplicate``-d (sent twice, as a retrying sender may), or ``delay``-ed by ``seconds``
  (emulated) before their first attempt.

``count`` is how many times a fault fires (``None``: until cleared).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from hsnb.emulator.service.ids import Counter
from hsnb.errors import API_ERRORS_BY_NAME, BadRequest

PROCESSING_ACTIONS = ("file_error", "unknown_error", "signature_request_invalid")
CALLBACK_ACTIONS = ("drop", "duplicate", "delay")
#: Every ``api`` fault: an error by name, or ``delay``.
API_ACTIONS = (*API_ERRORS_BY_NAME, "delay")
#: The ``api`` faults that answer with an error.
API_ERRORS = tuple(API_ERRORS_BY_NAME)


@dataclass
class Fault:
    """One injected fault and how many more times it fires."""

    fault_id: int
    target: str
    action: str
    match: str | None = None
    count: int | None = 1
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The fault as a JSON object (for the control plane)."""
        return asdict(self)


class Faults:
    """The injected faults of one emulator."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        #: The id the next fault gets.
        self.ids = Counter(1)

    def add(
        self,
        target: str,
        action: str,
        *,
        match: str | None = None,
        count: int | None = 1,
        seconds: float = 0.0,
    ) -> Fault:
        """Add a fault; raises :class:`BadRequest` for an unknown target or action."""
        allowed = {
            "api": API_ACTIONS,
            "processing": PROCESSING_ACTIONS,
            "callback": CALLBACK_ACTIONS,
        }
        if target not in allowed:
            raise BadRequest(f"Unknown fault target {target!r}.", error_path="target")
        if action not in allowed[target]:
            choices = ", ".join(allowed[target])
            raise BadRequest(
                f"Unknown {target} fault {action!r}; use one of: {choices}.", error_path="action"
            )
        if count is not None and count < 1:
            raise BadRequest("count must be at least 1 (or absent for no limit).")
        if not math.isfinite(seconds):
            raise BadRequest("seconds must be a finite number.", error_path="seconds")
        if seconds < 0:
            raise BadRequest("seconds must not be negative.", error_path="seconds")
        fault = Fault(next(self.ids), target, action, match or None, count, float(seconds))
        self._faults.append(fault)
        return fault

    def take(
        self, target: str, subject: str = "", actions: tuple[str, ...] | None = None
    ) -> Fault | None:
        """The first fault for ``target`` matching ``subject`` (and one of ``actions``, if
        given), used up once; else ``None``."""
        for fault in self._faults:
            if fault.target != target or (fault.match and fault.match not in subject):
                continue
            if actions is not None and fault.action not in actions:
                continue
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
            return fault
        return None

    def clear(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    def active(self) -> list[Fault]:
        """The faults that will still fire."""
        return list(self._faults)

    def restore(self, faults: list[Fault], next_id: int) -> None:
        """Exactly ``faults`` active, new ones numbered from ``next_id`` (a loaded state)."""
        self._faults = list(faults)
        self.ids = Counter(next_id)
