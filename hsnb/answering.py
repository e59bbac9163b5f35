"""How a listener answers when a script (:mod:`hsnb.answers`) or a relayed handler
(:mod:`hsnb.relay`) answers in its place.

Only deliveries the listener would store reach this module (the request was judged well formed
and, with keys, verified); refusals are answered by the listener as always. For each one:

1. a matching answer rule, else the answer policy, may choose a scripted answer: the delivery is
   stored as usual (unless the answer says ``store=no``), then the scripted answer is sent
   *in place of the handler*: a scripted delivery is never forwarded;
2. else, with a relay, the delivery is stored, forwarded, the handler's answer recorded onto its
   row, and that answer sent;
3. else the listener answers by itself (then this module takes no part: a listener with nothing
   scripted and no relay runs exactly the code it runs without them).

A store that cannot commit wins over both: the sender gets the listener's 503 (nothing is
forwarded), so it retries. A delay is never slept here: the answer carries it and the server
awaits it without holding its loop (or, from a sender on virtual time, answers at once with
``X-Hsnb-Answer-Time``, see :mod:`hsnb.answers`).
"""

from __future__ import annotations

import dataclasses
import logging

from hsnb.answers import AnswerScript, Scripted
from hsnb.clock_header import ANSWER_TIME_HEADER, CLOCK_HEADER, header, verified_scale
from hsnb.errors import StoreError
from hsnb.receiver import Answer, CallbackReceiver
from hsnb.records import ForwardRecord, RequestInfo
from hsnb.relay import Relay
from hsnb.writer import Write

logger = logging.getLogger(__name__)


class Answerer:
    """Answers a listener's storable deliveries from its ``script`` and ``relay`` (``None``:
    no relay); ``active`` says whether it has anything to do."""

    def __init__(
        self, receiver: CallbackReceiver, script: AnswerScript, relay: Relay | None = None
    ) -> None:
        self.receiver = receiver
        self.script = script
        self.relay = relay

    @property
    def active(self) -> bool:
        """Whether a rule, a policy or a relay may answer in the listener's place."""
        return self.script.active or self.relay is not None

    async def answer(self, write: Write) -> Answer:
        """Store ``write`` (a storable delivery) as its answer requires; return the answer."""
        assert write.event is not None, "only storable deliveries are scripted or relayed"
        chosen = self.script.choose(write.request, write.event) if self.script.active else None
        if chosen is not None:
            return await self._scripted(write, chosen)
        if self.relay is not None:
            return await self._relayed(write, self.relay)
        return await self.receiver.answer(write)

    async def _scripted(self, write: Write, chosen: Scripted) -> Answer:
        scripted = chosen.answer
        record = None
        if scripted.store:
            write.scripted = chosen.label
            stored = await self.receiver.answer(write)
            if not stored.acknowledged:  # the store failed: its 503 stands, the sender retries
                return stored
            record = stored.record
        headers: tuple[tuple[str, str], ...] = ()
        delay = scripted.delay
        if delay and self.virtual(write.request):
            headers, delay = ((ANSWER_TIME_HEADER, f"{delay:g}"),), 0.0
        return Answer(
            scripted.status,
            scripted.text,
            record,
            write.event,
            write.request.received_at,
            headers=headers,
            delay=delay,
            dropped=scripted.drop,
            scripted=chosen.label,
            outcome=scripted.outcome,
        )

    async def _relayed(self, write: Write, relay: Relay) -> Answer:
        stored = await self.receiver.answer(write)
        if not stored.acknowledged or stored.record is None:
            return stored  # not stored, so not forwarded: the sender retries
        forwarded = await relay.forward(write.request, virtual=self.virtual(write.request))
        record = ForwardRecord(
            stored.record,
            forwarded.status,
            forwarded.excerpt,
            forwarded.duration,
            forwarded.outcome,
        )
        try:
            await self.receiver.commit(Write(write.request, stored.status, forwarded=record))
        except StoreError as exc:  # the delivery itself is stored; only this record is lost
            logger.warning("could not record the handler's answer: %s", exc)
        body = forwarded.sender_body
        return dataclasses.replace(
            stored,
            status=forwarded.sender_status,
            text=forwarded.excerpt if forwarded.status is not None else body.decode(),
            body=body,
            headers=forwarded.headers,
            forwarded=forwarded,
            outcome=forwarded.outcome,
        )

    def virtual(self, request: RequestInfo) -> bool:
        """Whether the sender's clock is virtual: its clock header verifies with one of the
        listener's keys and says ``scale=virtual``."""
        value = header(request.headers, CLOCK_HEADER)
        if value is None or not self.receiver.api_keys:
            return False
        return verified_scale(value, self.receiver.api_keys) == "virtual"

    def close(self) -> None:
        """Release the relay's HTTP client (on the loop that served)."""
        if self.relay is not None:
            self.relay.close()
