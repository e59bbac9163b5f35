"""A receiver that misbehaves on purpose, in front of a real listener.

Dropbox Sign retries a callback unless it gets ``200 Hello API Event Received`` within 30 s. To
see retries, duplicates and lost attempts in a log, a simulation puts this front between the
emulator and the listener. Per attempt (named by the emulator's ``X-Hsnb-Attempt`` header, so
the choice is the same on every run) it is:

* ``ok``: forwarded to the listener, whose answer goes back;
* ``wrong``: forwarded (the listener stores the event), answered ``200 OK`` without the ACK text;
* ``slow``: forwarded, answered only after the sender gave up (under virtual time, at once with
  ``X-Hsnb-Answer-Time: 45``: an answer that took 45 emulated seconds, which the emulator takes
  as a timeout; see :mod:`hsnb.clock_header`. So a slow answer costs no real time and does not
  depend on the machine's load);
* ``lost``: the connection is closed before anything is forwarded.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import tornado.web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from hsnb.clock_header import ANSWER_TIME_HEADER, ATTEMPT_HEADER, CLOCK_HEADER
from hsnb.emulator.http.outbound import LiteralResolver
from hsnb.runtime import ServedApp, serve_app
from hsnb.simulation.workload import ReceiverBehaviour

#: The forwarded request's headers that matter to a listener.
_FORWARDED = ("Content-Type", CLOCK_HEADER, ATTEMPT_HEADER, "User-Agent")
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


class _Front(tornado.web.RequestHandler):
    def initialize(self, front: FlakyReceiver) -> None:
        self.front = front

    async def post(self) -> None:
        attempt = self.request.headers.get(ATTEMPT_HEADER, "")
        choice = choose(self.front.behaviour, self.front.seed, attempt)
        self.front.choices[choice] += 1
        if choice == "lost":
            self.detach().close()
            return
        status, body = await self.front.forward(self.request)
        if choice == "wrong":
            status, body = 200, b"OK"
        elif choice == "slow" and self.front.virtual:
            self.set_header(ANSWER_TIME_HEADER, f"{SLOW_ANSWER_TIME:g}")
        elif choice == "slow":
            await asyncio.sleep(self.front.slow_seconds)
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(body)


class FlakyReceiver:
    """The misbehaving front of ``listener_url`` on 127.0.0.1 (see the module docstring).

    ``slow_seconds``: how long a slow answer takes, in real seconds (more than the sender's
    timeout), unless ``virtual`` (the sender's clock is virtual: a slow answer says how long it
    took instead). ``choices`` counts what it did.
    """

    def __init__(
        self,
        listener_url: str,
        behaviour: ReceiverBehaviour,
        seed: int,
        *,
        slow_seconds: float = 1.0,
        virtual: bool = False,
    ) -> None:
        self.listener_url = listener_url
        self.behaviour = behaviour
        self.seed = seed
        self.slow_seconds = slow_seconds
        self.virtual = virtual
        self.choices: Counter[str] = Counter()
        self._client: AsyncHTTPClient | None = None
        self._served: ServedApp = serve_app([(r".*", _Front, {"front": self})])
        self.url = self._served.url("/callback")

    async def forward(self, request: tornado.httputil.HTTPServerRequest) -> tuple[int, bytes]:
        """POST the request to the listener; its status and body."""
        if self._client is None:
            self._client = AsyncHTTPClient(force_instance=True, resolver=LiteralResolver())
        headers = {n: request.headers[n] for n in _FORWARDED if n in request.headers}
        answer = await self._client.fetch(
            HTTPRequest(self.listener_url, method="POST", body=request.body, headers=headers),
            raise_error=False,
        )
        return answer.code, answer.body or b""

    def stop(self) -> None:
        """Stop serving."""
        self._served.stop()
        if self._client is not None:
            self._client.close()
