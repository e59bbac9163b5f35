"""Run a workload through the real emulator and a real listener, on virtual time.

Everything goes over HTTP on 127.0.0.1: requests are created with :class:`~hsnb.client.Client`,
signers act through the emulator's control plane
(:class:`~hsnb.simulation.control_plane.ControlPlane`), callbacks are POSTed by the emulator
straight to a :class:`~hsnb.listener.Listener` that commits them to a store and, per attempt, may
answer wrongly, late or not at all (its answer policy is a
:class:`~hsnb.simulation.receiver.FlakyPolicy`). The emulator runs on virtual time: each planned
action is a timer on its clock; when it falls due the clock is held, this thread performs the
action, and the hold is released, so nothing moves while an action is under way and a run
depends only on its seed. Reactions to events (a signer may open a request once it was sent, or
once the signer before them signed) are planned from the emulator's own events, on its clock.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hsnb.client import Client
from hsnb.emulator import DEFAULT_EPOCH, Emulator
from hsnb.emulator.service.models import EmittedEvent
from hsnb.errors import ApiError, HsnbError
from hsnb.listener import Listener
from hsnb.runtime import background_loop
from hsnb.simulation.control_plane import ControlPlane
from hsnb.simulation.receiver import FlakyPolicy
from hsnb.simulation.workload import RequestPlan, Workload, document, plan
from hsnb.store import EventStore

#: Events after which a request changes no more (its progress is counted then).
FINAL_EVENTS = (
    "signature_request_downloadable",
    "signature_request_declined",
    "signature_request_expired",
    "signature_request_canceled",
    "file_error",
    "unknown_error",
    "signature_request_invalid",
)
#: Where payload URLs point (no local port: the same log on every run).
PUBLIC_BASE_URL = "https://hellosign.test"
#: Real seconds an ordinary answer may take under virtual time before the emulator gives up.
VIRTUAL_ANSWER_TIMEOUT = 10.0
#: Callback attempts in flight at once per URL on scaled time.
SCALED_CALLBACK_CONCURRENCY = 16
#: A file_urls entry nobody serves (the discard port refuses connections at once).
UNREACHABLE_URL = "http://127.0.0.1:9/contract.pdf"


class SimulationError(HsnbError):
    """A simulation could not run to its end (the message says why)."""


@dataclass(frozen=True)
class _Action:
    kind: str  # create, template, view, sign, decline
    plan: RequestPlan | None = None
    signature_id: str | None = None
    signers: int = 0


@dataclass
class Run:
    """The state of one simulation while it runs."""

    emulator: Emulator
    listener: Listener
    client: Client
    policy: FlakyPolicy
    workload: Workload
    plans: list[RequestPlan]
    plane: ControlPlane
    actions: queue.Queue[_Action] = field(default_factory=queue.Queue)
    by_request: dict[str, RequestPlan] = field(default_factory=dict)
    templates: dict[int, str] = field(default_factory=dict)
    finished: set[str] = field(default_factory=set)
    refused: int = 0

    # -- scheduling (on the emulator's loop thread) ------------------------------------------

    def at(self, delay: float, action: _Action) -> None:
        """Perform ``action`` after ``delay`` emulated seconds (call on the loop thread)."""
        vt = self.emulator.virtual_time

        def due() -> None:
            if vt is not None:
                vt.acquire()  # released by the thread that performs it
            self.actions.put(action)

        self.emulator.clock.call_later(delay, due)

    def on_event(self, event: EmittedEvent) -> None:
        """React to an event of the emulated service (on the loop thread)."""
        request = self.by_request.get(event.signature_request_id or "")
        if request is None:
            return
        if event.event_type in FINAL_EVENTS:
            self.finished.add(event.signature_request_id or "")
        sr = self.emulator.backend.requests.get(event.signature_request_id or "")
        if sr is None:
            return
        if event.event_type == "signature_request_sent":
            first = [0] if request.ordered else range(len(request.signers))
            for n in first:
                self._signer_may_act(request, sr.signers[n].signature_id, n)
        elif event.event_type == "signature_request_signed" and request.ordered:
            n = next(
                i for i, s in enumerate(sr.signers) if s.signature_id == event.related_signature_id
            )
            if n + 1 < len(request.signers):
                self._signer_may_act(request, sr.signers[n + 1].signature_id, n + 1)

    def _signer_may_act(self, request: RequestPlan, signature_id: str, n: int) -> None:
        signer = request.signers[n]
        if signer.action == "none":
            return
        self.at(signer.view_after, _Action("view", request, signature_id))
        delay = signer.view_after + signer.act_after
        self.at(delay, _Action(signer.action, request, signature_id))

    # -- acting (on the caller's thread) -----------------------------------------------------

    def perform(self, action: _Action) -> None:
        """Do ``action`` over HTTP."""
        if action.kind == "template":
            self._create_template(action.signers)
        elif action.kind == "create":
            assert action.plan is not None
            self._create(action.plan)
        else:
            self._signer(action)

    def _create_template(self, signers: int) -> None:
        roles = [f"Signer {n}" for n in range(1, signers + 1)]
        body = document("good", signers, f"Template for {signers}")
        made = self.client.create_template([("template.txt", body)], roles, title="Template")
        self.templates[signers] = made.template_id

    def _create(self, request: RequestPlan) -> None:
        signers = [{"name": s.name, "email_address": s.email_address} for s in request.signers]
        if request.ordered:
            for n, signer in enumerate(signers):
                signer["order"] = n
        common: dict[str, Any] = {"title": f"Agreement {request.index + 1}", "allow_decline": True}
        if self.workload.expires_in is not None:
            common["expires_at"] = int(self.emulator.clock.now() + self.workload.expires_in)
        try:
            if request.template and len(request.signers) in self.templates:
                by_role = {f"Signer {n + 1}": s for n, s in enumerate(signers)}
                create = (
                    self.client.create_embedded_with_template
                    if request.embedded
                    else self.client.send_with_template
                )
                made = create(self.templates[len(request.signers)], by_role, **common)
            else:
                files: Any = (
                    [UNREACHABLE_URL]
                    if request.document == "unreachable_url"
                    else [("agreement.txt", document(request.document, len(signers), "Agreement"))]
                )
                create = self.client.create_embedded if request.embedded else self.client.send
                made = create(files, signers, use_text_tags=True, **common)
        except ApiError:
            self.refused += 1
            return
        self.by_request[made.signature_request_id] = request

    def _signer(self, action: _Action) -> None:
        path = f"/_emulator/signatures/{action.signature_id}/{action.kind}"
        if self.plane.post(path, {"reason": "Not this time"}) != 200:
            self.refused += 1  # e.g. the request expired or was declined meanwhile


def run_workload(
    workload: Workload,
    *,
    seed: int,
    store: EventStore | str | Path,
    start_time: float = DEFAULT_EPOCH,
    progress: Callable[[int, int], None] | None = None,
    timeout: float = 600.0,
    time_scale: float | str = "virtual",
) -> tuple[Run, float]:
    """Run ``workload`` to its end; return the run (still open: close it) and the wall seconds.

    ``time_scale``: ``"virtual"`` (the default: exact and repeatable, as fast as the machine
    goes) or real seconds per emulated second, to watch it (actions are then taken when their
    time comes, in real time).

    Raises :class:`SimulationError` when it does not end within ``timeout`` real seconds.
    """
    started = time.monotonic()
    virtual = time_scale == "virtual"
    emulator = Emulator(
        seed=seed,
        name="hsnb-simulate",
        start_time=start_time,
        time_scale=time_scale,
        processing_delay=workload.processing_delay,
        file_prep_delay=workload.file_prep_delay,
        callback_delay=workload.callback_delay,
        signing_delay=0,
        rate_limit=None,
        high_tier_rate_limit=None,
        test_mode_rate_limit=None,
        # Virtual time: a slow answer says so (no real waiting), so an ordinary answer can have
        # plenty of real time, and a loaded machine does not turn it into a timeout.
        min_callback_timeout=VIRTUAL_ANSWER_TIMEOUT if virtual else 0.5,
        # Scaled time: attempts overlap, so a busy day keeps up with the clock (the listener
        # commits them together) instead of queueing behind each other's commits.
        callback_concurrency=1 if virtual else SCALED_CALLBACK_CONCURRENCY,
        public_base_url=PUBLIC_BASE_URL,
    )
    policy = FlakyPolicy(workload.receiver, seed, slow_seconds=0.7, virtual=virtual)
    listener = Listener(
        store, api_keys=emulator.api_key, name="hsnb-simulate", answer_policy=policy
    )
    emulator.callback_url = listener.url
    client = Client(base_url=emulator.api_url, api_key=emulator.api_key)
    plane = ControlPlane(emulator.base_url)
    run = Run(emulator, listener, client, policy, workload, plan(workload, seed), plane)
    emulator.on_event(run.on_event)

    def schedule() -> None:
        if workload.templates > 0:
            for signers in range(1, len(workload.signers) + 1):
                run.at(0.0, _Action("template", signers=signers))
        offset = 600.0 if workload.templates > 0 else 0.0  # templates are ready by then
        for request in run.plans:
            run.at(offset + request.arrival, _Action("create", request))

    background_loop().call(schedule)
    total = len(run.plans)
    try:
        while True:
            try:
                action = run.actions.get(timeout=0.05)
            except queue.Empty:
                if _ended(run):
                    break
                if time.monotonic() - started > timeout:
                    raise SimulationError(
                        f"the simulation did not end within {timeout:g} s"
                    ) from None
                continue
            try:
                run.perform(action)
            finally:
                if emulator.virtual_time is not None:
                    emulator.virtual_time.release()
            if progress is not None:
                progress(len(run.finished), total)
    except BaseException:
        close(run)
        raise
    if progress is not None:
        progress(len(run.finished), total)
    return run, time.monotonic() - started


def _ended(run: Run) -> bool:
    """Whether nothing is scheduled, queued or in flight any more."""
    emulator = run.emulator

    def check() -> bool:
        clock = emulator.clock
        busy = (
            emulator.dispatcher.in_flight + emulator.fetcher.in_flight + emulator.worker.in_flight
        )
        vt = emulator.virtual_time
        return (
            clock.next_deadline() is None
            and not clock.is_due()
            and busy == 0
            and (vt is None or vt.busy() == 0)
        )

    return run.actions.empty() and background_loop().call(check)


def close(run: Run) -> None:
    """Stop the servers of a run (the store stays open with the listener's log)."""
    run.client.close()
    run.plane.close()
    run.emulator.stop()
    run.listener.stop()
