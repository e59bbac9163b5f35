"""What a simulated workload is: the knobs, the named presets, and the seeded plan they give.

A :class:`Workload` says how requests arrive, who signs them, what documents they carry, how
signers behave and how the receiver answers callbacks; :func:`plan` turns it and a seed into
the same list of :class:`RequestPlan` on every machine. Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hsnb.emulator.service.clock import Delay

#: The document kinds a request may carry, and what each leads to.
DOCUMENT_KINDS = {
    "good": "text tags for every signer: signature_request_sent",
    "malformed_tag": "an unclosed text tag: file_error",
    "signer_mismatch": "a tag for a signer not passed: signature_request_invalid or file_error",
    "unreachable_url": "a file_urls entry nobody serves: file_error",
}
#: What a signer does once the request is theirs to sign.
SIGNER_ACTIONS = ("sign", "decline", "none")


@dataclass(frozen=True)
class ReceiverBehaviour:
    """How the receiver answers each callback attempt (shares of attempts, decided per attempt).

    * ``wrong``: the handler stores the event but answers 200 without the ACK text, so Dropbox
      Sign retries (and the retry is a duplicate);
    * ``slow``: the handler stores the event but answers after the sender gave up (a timeout:
      a retry and a duplicate);
    * ``lost``: the connection breaks before the handler sees anything (a retry, no duplicate).
    """

    wrong: float = 0.0
    slow: float = 0.0
    lost: float = 0.0

    def __post_init__(self) -> None:
        shares = (self.wrong, self.slow, self.lost)
        if any(not 0 <= s <= 1 for s in shares) or sum(shares) > 1:
            raise ValueError("receiver shares must be between 0 and 1 and sum to at most 1")


@dataclass(frozen=True)
class Workload:
    """A workload to run through the emulator (every time in emulated seconds).

    * ``requests`` arrive over ``period`` as a Poisson process (exponential gaps);
    * ``signers``: shares of requests with 1, 2, 3, ... signers;
    * ``documents``: shares of :data:`DOCUMENT_KINDS`;
    * ``embedded``: share made with ``create_embedded`` (the rest with ``send``);
      ``templates``: share made from a template (created first); ``ordered``: share of
      multi-signer requests signed in order;
    * ``view_delay``: from the moment a signer may act (``sent``, or the previous signer's
      signature when ordered) to opening the request; ``sign_delay``: from opening to signing or
      declining; ``decline`` and ``never_act``: shares of signers who decline, or never act (their
      request then expires after ``expires_in``; ``None``: requests never expire);
    * the service: ``processing_delay``, ``file_prep_delay``, ``callback_delay``;
    * ``receiver``: how callbacks are answered (:class:`ReceiverBehaviour`).
    """

    requests: int = 100
    period: float = 8 * 3600.0
    signers: tuple[float, ...] = (0.5, 0.35, 0.15)
    documents: Mapping[str, float] = field(
        default_factory=lambda: {
            "good": 0.92,
            "malformed_tag": 0.03,
            "signer_mismatch": 0.03,
            "unreachable_url": 0.02,
        }
    )
    embedded: float = 0.7
    templates: float = 0.1
    ordered: float = 0.2
    view_delay: Delay = field(default_factory=lambda: Delay.lognormal(600, 1.0))
    sign_delay: Delay = field(default_factory=lambda: Delay.lognormal(120, 0.7))
    decline: float = 0.05
    never_act: float = 0.03
    expires_in: float | None = 3 * 86400.0
    processing_delay: Delay = field(default_factory=lambda: Delay.lognormal(40, 0.5))
    file_prep_delay: Delay = field(default_factory=lambda: Delay.lognormal(3, 0.4))
    callback_delay: Delay = field(default_factory=lambda: Delay.lognormal(1.5, 0.5))
    receiver: ReceiverBehaviour = field(default_factory=ReceiverBehaviour)

    def __post_init__(self) -> None:
        for name in ("view_delay", "sign_delay", "processing_delay", "file_prep_delay"):
            object.__setattr__(self, name, Delay.parse(getattr(self, name)))
        object.__setattr__(self, "callback_delay", Delay.parse(self.callback_delay))
        if isinstance(self.receiver, Mapping):
            object.__setattr__(self, "receiver", ReceiverBehaviour(**self.receiver))
        if self.requests < 0 or self.period <= 0:
            raise ValueError("requests must be >= 0 and period > 0")
        if not self.signers or any(s < 0 for s in self.signers) or sum(self.signers) <= 0:
            raise ValueError("signers: shares of 1, 2, 3... signers, at least one above 0")
        unknown = set(self.documents) - set(DOCUMENT_KINDS)
        if unknown:
            raise ValueError(
                f"unknown document kinds {sorted(unknown)}; use {list(DOCUMENT_KINDS)}"
            )
        for name in ("embedded", "templates", "ordered", "decline", "never_act"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} is a share between 0 and 1")
        if self.decline + self.never_act > 1:
            raise ValueError("decline and never_act together are at most 1")

    def replace(self, **changes: Any) -> Workload:
        """This workload with some knobs changed."""
        return dataclasses.replace(self, **changes)


#: Named workloads (``hsnb simulate --preset NAME``).
PRESETS: dict[str, Workload] = {
    "working-day": Workload(receiver=ReceiverBehaviour(wrong=0.01, lost=0.02)),
    "retry-storm": Workload(
        period=2 * 3600.0,
        receiver=ReceiverBehaviour(wrong=0.15, slow=0.02, lost=0.15),
    ),
    "bad-uploads": Workload(
        documents={
            "good": 0.5,
            "malformed_tag": 0.2,
            "signer_mismatch": 0.2,
            "unreachable_url": 0.1,
        }
    ),
}


@dataclass(frozen=True)
class SignerPlan:
    """What one signer will do: open the request ``view_after`` seconds after it is theirs to
    sign, then ``action`` (``sign``, ``decline`` or ``none``) ``act_after`` seconds later."""

    name: str
    email_address: str
    view_after: float
    action: str
    act_after: float


@dataclass(frozen=True)
class RequestPlan:
    """One request of the workload: when it arrives and everything about it."""

    index: int
    arrival: float
    document: str
    embedded: bool
    template: bool
    ordered: bool
    signers: tuple[SignerPlan, ...]


def plan(workload: Workload, seed: int) -> list[RequestPlan]:
    """The requests of ``workload`` for ``seed``, in arrival order (the same on every run)."""
    rng = random.Random(f"hsnb-simulate:{seed}")
    rate = workload.requests / workload.period
    arrival = 0.0
    plans = []
    for index in range(workload.requests):
        arrival += rng.expovariate(rate) if rate > 0 else 0.0
        count = 1 + _choose(rng, list(range(len(workload.signers))), workload.signers)
        document = _choose(rng, list(workload.documents), list(workload.documents.values()))
        template = document == "good" and rng.random() < workload.templates
        signers = tuple(_signer(rng, workload, index, n) for n in range(count))
        plans.append(
            RequestPlan(
                index=index,
                arrival=round(arrival, 3),
                document=document,
                embedded=rng.random() < workload.embedded,
                template=template,
                ordered=count > 1 and rng.random() < workload.ordered,
                signers=signers,
            )
        )
    return plans


def _signer(rng: random.Random, workload: Workload, request: int, n: int) -> SignerPlan:
    draw = rng.random()
    action = (
        "decline"
        if draw < workload.decline
        else "none"
        if draw < workload.decline + workload.never_act
        else "sign"
    )
    return SignerPlan(
        name=f"Signer {n + 1} of request {request + 1}",
        email_address=f"signer{n + 1}.request{request + 1}@example.com",
        view_after=round(workload.view_delay.draw(rng), 3),
        action=action,
        act_after=round(workload.sign_delay.draw(rng), 3),
    )


def _choose(rng: random.Random, options: list[Any], weights: Any) -> Any:
    return rng.choices(options, weights=list(weights))[0]


def document(kind: str, signers: int, title: str) -> bytes:
    """A text document of ``kind`` for ``signers`` signers (see :data:`DOCUMENT_KINDS`).

    >>> b"[sig|req|signer2]" in document("good", 2, "NDA")
    True
    """
    lines = [title, "", "The parties agree to the terms below.", ""]
    for n in range(1, signers + 1):
        lines.append(f"Signer {n}: [sig|req|signer{n}]   Date: [date|req|signer{n}]")
    if kind == "malformed_tag":
        lines.append("Initials: [initial|req|signer1")
    elif kind == "signer_mismatch":
        lines.append(f"Witness: [sig|req|signer{signers + 1}]")
    return ("\n".join(lines) + "\n").encode()
