"""Scripted answers: a listener told to answer some deliveries wrongly, slowly or not at all.

Dropbox Sign retries a callback unless it gets ``200 Hello API Event Received`` within 30 s.
Failing on purpose is the only way to watch that happen with a real account (and a quick way
to rehearse it against the emulator), so a listener can be given *rules* (``hsnb listen
--answer RULE``, :meth:`hsnb.listener.Listener.script`). A rule is words separated by spaces
(quote a body that has spaces: ``body='not the ack'``):

=================  ==========================================================================
``next=N``         only the next N deliveries the rule matches, then it is used up (without
                   it: every matching delivery, until the rules are cleared)
``type=T[,T2]``    only deliveries of these event types
``status=CODE``    answer this HTTP status (default 200)
``body=TEXT``      answer this text (default: the ACK text with status 200, else
                   ``scripted answer CODE``)
``delay=SECONDS``  answer this many seconds later (the loop is not held: other deliveries are
                   answered meanwhile)
``drop``           close the connection without any answer
``store=no``       store nothing: the delivery leaves no row and no event (default ``yes``)
=================  ==========================================================================

For example ``next=3 status=500``, ``type=signature_request_sent status=200 body=OK``,
``next=1 delay=35``, ``next=1 drop store=no``. Rules are tried in the order given and the first
that matches answers; a delivery no rule matches is answered by the listener itself.

**What is stored.** Only a delivery the listener would store (well formed and, with keys,
verified) is scripted; anything it refuses is refused as usual and uses up no rule. A scripted
delivery is judged and committed exactly as usual *before* its scripted answer goes out, so it
models a handler that stored the event and then answered badly: the sender retries and the
retry is stored as a ``duplicate``. The delivery row keeps the listener's own ``status`` (200)
and ``verdict``, and ``scripted`` holds the rule that answered (``next=3 status=500 (1 of
3)``). ``store=no`` models a crash before the commit instead: nothing is written, so the retry
is a new ``accepted`` delivery.

**Virtual time.** When a delivery carries an emulator's clock header (:mod:`hsnb.clock_header`)
signed with one of the listener's keys and that clock is virtual, a ``delay`` is not waited:
the answer goes at once with ``X-Hsnb-Answer-Time: SECONDS``, which such an emulator takes as
the time the answer took (past 30 s, a timeout). So a slow answer costs no real time and does
not depend on the machine's load. Any other sender gets a real (asynchronous) wait.

**From Python** a policy can decide per delivery instead (:data:`AnswerPolicy`): a function of
the request and its event that returns a :class:`ScriptedAnswer`, or ``None`` to let the
listener answer. It runs on the listener's loop for each delivery no rule matched, before
anything is stored, so it must be quick and must not block.
"""

from __future__ import annotations

import dataclasses
import math
import shlex
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hsnb.errors import AnswerRuleError
from hsnb.events import ACK_TEXT, Event
from hsnb.payloads import CALLBACK_TIMEOUT_SECONDS, classify
from hsnb.records import RequestInfo

#: The longest scripted delay, in seconds (a handler that never answers: ``drop``, or a delay
#: past the sender's 30 s timeout).
MAX_DELAY = 3600.0
_WORDS = ("next", "type", "status", "body", "delay", "drop", "store")
_YES, _NO = ("yes", "true", "1"), ("no", "false", "0")


@dataclass(frozen=True)
class ScriptedAnswer:
    """An answer to send in the listener's place: ``status`` and ``body`` (``None``: the ACK
    text with 200, else ``scripted answer CODE``), after ``delay`` seconds, or no answer at all
    (``drop``); ``store=False`` stores nothing (a crash before the commit).

    >>> ScriptedAnswer(500).describe(), ScriptedAnswer(200, "OK").outcome
    ('status=500', 'wrong_answer')
    """

    status: int = 200
    body: str | None = None
    delay: float = 0.0
    drop: bool = False
    store: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise AnswerRuleError(f"status must be a whole number, not {self.status!r}")
        if not 100 <= self.status <= 599:
            raise AnswerRuleError(f"status must be from 100 to 599, not {self.status}")
        delay = float(self.delay)
        if not (math.isfinite(delay) and 0 <= delay <= MAX_DELAY):
            raise AnswerRuleError(f"delay must be from 0 to {MAX_DELAY:g} seconds, not {delay}")
        object.__setattr__(self, "delay", delay)

    @property
    def text(self) -> str:
        """The body sent."""
        if self.body is not None:
            return self.body
        return ACK_TEXT if self.status == 200 else f"scripted answer {self.status}"

    @property
    def outcome(self) -> str:
        """How Dropbox Sign counts this answer (:data:`hsnb.payloads.ATTEMPT_OUTCOMES`)."""
        if self.drop:
            return "connection_error"
        if self.delay > CALLBACK_TIMEOUT_SECONDS:
            return "timeout"
        return classify(self.status, self.text.encode())

    def describe(self) -> str:
        """The answer in rule words (only what differs from answering the ACK at once)."""
        words = [] if self.drop else [f"status={self.status}"]
        if self.body is not None and not self.drop:
            words.append(f"body={shlex.quote(self.body)}")
        if self.delay:
            words.append(f"delay={self.delay:g}")
        if self.drop:
            words.append("drop")
        if not self.store:
            words.append("store=no")
        return " ".join(words)


@dataclass
class AnswerRule:
    """A :class:`ScriptedAnswer` for the deliveries that match: of ``event_types`` (``None``:
    any), the next ``count`` of them (``None``: every one). ``used`` counts the matches so far.
    """

    answer: ScriptedAnswer
    event_types: frozenset[str] | None = None
    count: int | None = None
    used: int = 0

    def __post_init__(self) -> None:
        if self.count is not None and (isinstance(self.count, bool) or self.count < 1):
            raise AnswerRuleError(f"next must be a whole number of 1 or more, not {self.count}")
        if self.event_types is not None:
            self.event_types = frozenset(self.event_types)
            if not self.event_types:
                raise AnswerRuleError("type needs at least one event type")

    @property
    def text(self) -> str:
        """The rule in its words, e.g. ``next=3 type=signature_request_sent status=500``."""
        words = [] if self.count is None else [f"next={self.count}"]
        if self.event_types is not None:
            words.append("type=" + ",".join(sorted(self.event_types)))
        return " ".join([*words, self.answer.describe()])

    @property
    def remaining(self) -> int | None:
        """Matches left before the rule is used up (``None``: no end)."""
        return None if self.count is None else self.count - self.used

    def matches(self, event: Event) -> bool:
        """Whether the rule answers a delivery of ``event``."""
        return self.event_types is None or event.event_type in self.event_types

    def __str__(self) -> str:
        return self.text


def parse_rule(text: str) -> AnswerRule:
    """A rule from its words (see the module docstring); :class:`AnswerRuleError` says what is
    wrong with one that cannot be read.

    >>> parse_rule("next=3 status=500").text
    'next=3 status=500'
    >>> parse_rule("type=signature_request_sent body='not it'").answer.text
    'not it'
    """
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise AnswerRuleError(f"answer rule {text!r}: {exc}") from None
    if not words:
        raise AnswerRuleError("an answer rule is empty: e.g. 'next=3 status=500'")
    given: dict[str, str] = {}
    for word in words:
        name, sep, value = word.partition("=")
        if name not in _WORDS or (name == "drop") == bool(sep):
            known = ", ".join(f"{w}=..." if w != "drop" else w for w in _WORDS)
            raise AnswerRuleError(f"answer rule {text!r}: cannot read {word!r} (use {known})")
        if name in given:
            raise AnswerRuleError(f"answer rule {text!r}: {name} is given twice")
        given[name] = value
    try:
        answer = ScriptedAnswer(
            status=_whole(given.get("status", "200"), "status"),
            body=given.get("body"),
            delay=_seconds(given.get("delay", "0")),
            drop="drop" in given,
            store=_flag(given.get("store", "yes")),
        )
        types = given.get("type")
        return AnswerRule(
            answer,
            event_types=None if types is None else frozenset(filter(None, types.split(","))),
            count=None if "next" not in given else _whole(given["next"], "next"),
        )
    except AnswerRuleError as exc:
        raise AnswerRuleError(f"answer rule {text!r}: {exc}") from None


def _whole(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise AnswerRuleError(f"{name} must be a whole number, not {value!r}") from None


def _seconds(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise AnswerRuleError(f"delay must be seconds, not {value!r}") from None


def _flag(value: str) -> bool:
    if value.lower() in _YES:
        return True
    if value.lower() in _NO:
        return False
    raise AnswerRuleError(f"store must be yes or no, not {value!r}")


@dataclass(frozen=True)
class Scripted:
    """The answer chosen for one delivery, and the label its delivery row keeps (``scripted``)."""

    answer: ScriptedAnswer
    label: str


#: Decides one delivery's answer from its request and event: a :class:`ScriptedAnswer`, or
#: ``None`` to let the listener answer by itself.
AnswerPolicy = Callable[[RequestInfo, Event], "ScriptedAnswer | None"]


class AnswerScript:
    """A listener's rules and policy (thread-safe: rules may be added while it serves).

    ``active`` is a plain attribute, so a listener with nothing scripted pays one look-up per
    delivery.
    """

    def __init__(
        self, rules: Iterable[str | AnswerRule] = (), policy: AnswerPolicy | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._rules: list[AnswerRule] = []
        self._policy = policy
        self.active = policy is not None
        self.add(*rules)

    @property
    def policy(self) -> AnswerPolicy | None:
        """The policy asked when no rule matches (``None``: none)."""
        return self._policy

    @policy.setter
    def policy(self, policy: AnswerPolicy | None) -> None:
        with self._lock:
            self._policy = policy
            self.active = bool(self._rules) or policy is not None

    def add(self, *rules: str | AnswerRule) -> list[AnswerRule]:
        """Add rules (after the ones there); return them. Raises :class:`AnswerRuleError`
        (and adds none) when one cannot be read."""
        parsed = [parse_rule(r) if isinstance(r, str) else r for r in rules]
        for rule in parsed:
            if not isinstance(rule, AnswerRule):
                raise AnswerRuleError(f"an answer rule is text or an AnswerRule, not {rule!r}")
        with self._lock:
            self._rules.extend(parsed)
            self.active = bool(self._rules) or self._policy is not None
        return parsed

    def clear(self) -> None:
        """Remove every rule (the policy stays)."""
        with self._lock:
            self._rules.clear()
            self.active = self._policy is not None

    def rules(self) -> list[AnswerRule]:
        """The rules not used up yet, in order (copies)."""
        with self._lock:
            return [dataclasses.replace(rule) for rule in self._rules]

    def choose(self, request: RequestInfo, event: Event) -> Scripted | None:
        """The answer for one delivery: the first matching rule's (using it up by one), else the
        policy's, else ``None``."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(event):
                    rule.used += 1
                    label = rule.text
                    if rule.count is not None:
                        label += f" ({rule.used} of {rule.count})"
                        if rule.used >= rule.count:
                            self._rules.remove(rule)
                            self.active = bool(self._rules) or self._policy is not None
                    return Scripted(rule.answer, label)
            policy = self._policy
        if policy is None:
            return None
        answer = policy(request, event)
        return None if answer is None else Scripted(answer, "policy " + answer.describe())


__all__ = [
    "AnswerPolicy",
    "AnswerRule",
    "AnswerScript",
    "MAX_DELAY",
    "ScriptedAnswer",
    "Scripted",
    "parse_rule",
]
