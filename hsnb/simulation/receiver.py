"""How a simulated receiver misbehaves on purpose: an answer policy for the listener.

Dropbox Sign retries a callback unless it gets ``200 Hello API Event Received`` within 30 s. To
see retries, duplicates and lost attempts in a log, a simulation gives its listener a
:class:`FlakyPolicy` (an :data:`hsnb.answers.AnswerPolicy`). Per attempt (named by the
emulator's ``X-Hsnb-Attempt`` header, so the choice is the same on every run) the listener:

* ``ok``: answers by itself (stores, then acknowledges);
* ``wrong``: stores the event and answers ``200 OK`` without the ACK text;
* ``slow``: stores the event and answers only after the sender gave up (under virtual time, at
  once with ``X-Hsnb-Answer-Time: 45``: an answer that took 45 emulated seconds, which the
  emulator takes as a timeout; see :mod:`hsnb.clock_header`. So a slow answer costs no real
  time and does not depend on the machine's load);
* ``lost``: closes the connection before anything is stored (the policy decides before the
  listener stores, so the attempt leaves no delivery: it was lost on the way).
"""

from __future__ import annotations

import random
from collections import Counter

from hsnb.answers import ScriptedAnswer
from hsnb.clock_header import ATTEMPT_HEADER, header
from hsnb.events import Event
from hsnb.records import RequestInfo
from hsnb.simulation.workload import ReceiverBehaviour

#: Emulated seconds a slow answer says it took under virtual time (past the 30 s timeout).
SLOW_ANSWER_TIME = 45.0


def choose(behaviour: ReceiverBehaviour, seed: int, attempt: str) -> str:
    """What the receiver does with ``attempt`` (``"12.1"``): ok, wrong, slow or lost.

    >>> choose(ReceiverBehaviour(lost=1.0), 0, "1.1")
    'lost'
    """
    draw = random.Random(f"hsnb-receiver:{seed}:{attempt}").random()
    for name, share in (("lost", behaviour.lost), ("wrong", behaviour.wrong)):
        if draw < share:
            return name
        draw -= share
    return "slow" if draw < behaviour.slow else "ok"


class FlakyPolicy:
    """The misbehaving receiver as a listener's answer policy (see the module docstring).

    ``slow_seconds``: how long a slow answer takes, in real seconds (more than the sender's
    timeout), unless ``virtual`` (the sender's clock is virtual: a slow answer says it took
    :data:`SLOW_ANSWER_TIME` instead). ``choices`` counts what it chose.
    """

    def __init__(
        self,
        behaviour: ReceiverBehaviour,
        seed: int,
        *,
        slow_seconds: float = 1.0,
        virtual: bool = False,
    ) -> None:
        self.behaviour = behaviour
        self.seed = seed
        self.choices: Counter[str] = Counter()
        self._answers: dict[str, ScriptedAnswer | None] = {
            "ok": None,
            "wrong": ScriptedAnswer(200, "OK"),
            "slow": ScriptedAnswer(delay=SLOW_ANSWER_TIME if virtual else slow_seconds),
            "lost": ScriptedAnswer(drop=True, store=False),
        }

    def __call__(self, request: RequestInfo, event: Event) -> ScriptedAnswer | None:
        """The answer for one attempt (``None``: the listener answers by itself)."""
        choice = choose(self.behaviour, self.seed, header(request.headers, ATTEMPT_HEADER) or "")
        self.choices[choice] += 1
        return self._answers[choice]
