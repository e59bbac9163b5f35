"""The core of the emulated service: what every part of the backend shares, and nothing else.

The :class:`~hsnb.emulator.service.backend.Backend` is built from parts (mixins, as in moto):
accounts, requests, processing, signing, files and templates. Each part creates and owns its own
state (it extends :meth:`ServiceCore._fresh_state`, which runs at start and on every reset) and uses
the rest of the service only through this small API:

* settings and sources: ``config``, ``clock``, ``random``, ``urls``, ``faults``, ``fetcher``,
  ``worker`` (CPU work off the loop);
* the shared records: ``account``, its ``apps``, the ``requests`` and every ``events`` raised;
* :meth:`get_signature_request` (the 404 / 403 / 410 rules) and :meth:`owned_app` (a
  ``client_id`` of this account, or 400);
* :meth:`emit` raises an event and hands a delivery per receiver to :meth:`deliver`, which
  draws the queueing delay and passes it to the ``outbox`` (the dispatcher);
* :meth:`audit` writes a request's audit trail; :meth:`next_sequence` orders new records;
* :meth:`schedule` runs a part's ``_timer_<task>`` method later, as a timer a saved state can hold
  (:mod:`~hsnb.emulator.service.state_file`): every delayed step of the service goes through it.

Nothing here does I/O or imports tornado.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from hsnb.emulator.service.api_log import ApiLog
from hsnb.emulator.service.callbacks import Delivery, deliveries_for
from hsnb.emulator.service.clock import Clock, Timer
from hsnb.emulator.service.config import EmulatorConfig
from hsnb.emulator.service.faults import Faults
from hsnb.emulator.service.file_urls import Fetcher, OfflineFetcher
from hsnb.emulator.service.ids import Counter, Randomness
from hsnb.emulator.service.lifecycle import RequestState
from hsnb.emulator.service.models import Account, ApiApp, EmittedEvent, SignatureRequest, Template
from hsnb.emulator.service.serializers import Urls, signature_request_json, template_json
from hsnb.emulator.service.signed_copies import AuditEntry
from hsnb.emulator.service.workers import InlineWorker, Worker
from hsnb.errors import BadRequest, Deleted, Forbidden, NotFound

Outbox = Callable[[Delivery], None]
#: The actor an audit entry names for what the requester did (shown as the account's address).
REQUESTER = "requester"
#: The actor an audit entry names for what the service did.
SERVICE = "Dropbox Sign"


class ServiceCore:
    """Identity, reset and the shared API of the backend's parts (see the module docstring).

    ``api_key``: the account's key (default: drawn from the seed). ``callback_url`` and
    ``app_callback_url``: the account's and the default app's callback URLs (a ``api_key`` given
    here is the caller's: a saved state holds only its fingerprint). ``fetcher``: downloads
    ``file_urls`` (default: :class:`~hsnb.emulator.service.file_urls.OfflineFetcher`). ``worker``:
    runs CPU work (default: inline, :class:`~hsnb.emulator.service.workers.InlineWorker`).
    """

    apps: dict[str, ApiApp]
    requests: dict[str, SignatureRequest]
    events: list[EmittedEvent]

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        clock: Clock | None = None,
        randomness: Randomness | None = None,
        api_key: str | None = None,
        callback_url: str | None = None,
        app_callback_url: str | None = None,
        urls: Urls | None = None,
        outbox: Outbox | None = None,
        fetcher: Fetcher | None = None,
        worker: Worker | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock or Clock()
        self.random = randomness or Randomness(0)
        self.urls = urls or Urls()
        self.outbox: Outbox = outbox or (lambda delivery: None)
        self.fetcher: Fetcher = fetcher or OfflineFetcher()
        self.worker: Worker = worker or InlineWorker()
        self.faults = Faults()
        #: Every HTTP request the emulator answered, redacted and bounded (the HTTP edge
        #: records them; :mod:`~hsnb.emulator.service.api_log`).
        self.api_log = ApiLog(self.config.api_log_size)
        #: Called with each event as it is raised, before it is delivered (e.g. a workload
        #: script that reacts to ``signature_request_sent``); on the loop thread.
        self.event_hooks: list[Callable[[EmittedEvent], None]] = []
        self._initial_urls = (callback_url, app_callback_url)
        #: The API key the caller gave (``None``: drawn from the seed); never saved.
        self.given_api_key = api_key or None
        identity = self._draw_identity()
        self.account = Account(
            account_id=identity["account_id"],
            email_address=self.config.account_email,
            api_key=api_key or identity["api_key"],
            access_tokens={identity["access_token"]},
        )
        #: The ``client_id`` of the API app every emulator starts with (kept once it is deleted).
        self.default_client_id = identity["client_id"]
        self._fresh_state()

    # -- identity and reset ----------------------------------------------------------------

    @property
    def access_token(self) -> str:
        """An OAuth-style Bearer token of the account."""
        return next(iter(self.account.access_tokens))

    @property
    def default_app(self) -> ApiApp | None:
        """The API app every emulator starts with (``None`` once deleted)."""
        return self.apps.get(self.default_client_id)

    def reset(self, seed: int | None = None) -> None:
        """Forget every request, app change, event and fault; restart the clock and the ids.

        The account (its id and API key) and the default app's ``client_id`` stay, so clients
        keep working. After ``reset(seed)`` ids follow a fresh emulator with that seed.
        """
        self.clock.cancel_all()
        self.fetcher.cancel_all()
        self.worker.cancel_all()
        self.clock.reset()
        self.random.reseed(self.random.seed if seed is None else seed)
        self._draw_identity()
        self.faults.clear()
        self.api_log.clear()
        self._fresh_state()

    def clear_for_load(self) -> None:
        """Cancel every pending timer and piece of work and give each part fresh state, to be
        filled from a saved state (:mod:`~hsnb.emulator.service.state_file`)."""
        self.clock.cancel_all()
        self.fetcher.cancel_all()
        self.worker.cancel_all()
        self._fresh_state()

    def _draw_identity(self) -> dict[str, str]:
        return {
            "account_id": self.random.account_id(),
            "api_key": self.random.api_key(),
            "client_id": self.random.client_id(),
            "access_token": self.random.token(),
        }

    def _fresh_state(self) -> None:
        """Create the shared records; each part extends this to create its own state."""
        callback_url, app_callback_url = self._initial_urls
        self.account.callback_url = callback_url
        self.apps = {
            self.default_client_id: ApiApp(
                client_id=self.default_client_id,
                name="hsnb emulator app",
                domains=["example.com"],
                owner_account_id=self.account.account_id,
                owner_email_address=self.account.email_address,
                created_at=self.clock.timestamp(),
                callback_url=app_callback_url,
                is_approved=True,
            )
        }
        self.requests = {}
        self.events = []
        #: The next delivery id, and the next number in the order records were made.
        self.delivery_ids = Counter(1)
        self.sequence = Counter(1)

    # -- the shared API --------------------------------------------------------------------

    def next_sequence(self) -> int:
        """The next number in the order records were made (lists show newest first)."""
        return next(self.sequence)

    def get_signature_request(self, account: Account, request_id: str) -> SignatureRequest:
        """The request; 404 if unknown, 403 if another account's, 410 ``deleted`` once
        canceled."""
        sr = self.requests.get(request_id)
        if sr is None:
            raise NotFound("Not found.")
        if sr.account_id != account.account_id:
            raise Forbidden("You do not have access to this signature request.")
        if sr.state is RequestState.CANCELED:
            raise Deleted("This resource has been deleted.")
        return sr

    def owned_app(self, account: Account, client_id: str) -> ApiApp:
        """The app ``client_id`` of ``account``; 400 ``Invalid client_id`` otherwise (what
        create calls answer)."""
        app = self.apps.get(client_id)
        if app is None or app.owner_account_id != account.account_id:
            raise BadRequest(f"Invalid client_id: {client_id}", error_path="client_id")
        return app

    def emit(
        self,
        event_type: str,
        *,
        request: SignatureRequest | None = None,
        template: Template | None = None,
        related: str | None = None,
        message: str | None = None,
    ) -> EmittedEvent:
        """Raise an event about ``request`` or ``template`` now and deliver it to the account's
        callback URL and to the callback URL of the app it was made with (if any)."""
        subject: Any = request if request is not None else template
        event = EmittedEvent(
            event_type,
            self.clock.timestamp(),
            request.signature_request_id if request is not None else None,
            related,
            message,
            self.clock.now(),
        )
        self.events.append(event)
        for hook in tuple(self.event_hooks):
            hook(event)
        app = self.apps.get(subject.client_id) if subject.client_id else None
        if request is not None:
            snapshot, template_snapshot = signature_request_json(request, self.urls), None
        else:
            snapshot, template_snapshot = None, template_json(subject, self.account)
        for delivery in deliveries_for(
            event,
            self.account,
            app,
            snapshot,
            self.delivery_ids,
            template=template_snapshot,
            app_only=self.config.switches["app_callbacks"] == "app_only",
            app_account_id=self.config.switches["app_callback_account_id"],
        ):
            self.deliver(delivery)
        return event

    def new_delivery_id(self) -> int:
        """A fresh delivery id (for deliveries not made by :meth:`emit`, e.g. a test)."""
        return next(self.delivery_ids)

    def deliver(self, delivery: Delivery) -> Delivery:
        """Hand ``delivery`` to the outbox with its queueing delay drawn; return what was sent."""
        delay = self.random.draw(self.config.callback_delay)
        if delay:
            delivery = dataclasses.replace(delivery, delay=delay)
        self.outbox(delivery)
        return delivery

    def schedule(self, delay: float, task: str, *args: Any) -> Timer:
        """Call ``self._timer_<task>(*args)`` after ``delay`` emulated seconds; ``args`` are JSON
        values (ids, flags, text), so a saved state can hold the timer and re-arm it."""
        method = self.timer_task(task)
        return self.clock.call_later(delay, lambda: method(*args), task=(task, *args))

    def timer_task(self, task: str) -> Callable[..., None]:
        """The method behind timer task ``task`` (only ``_timer_*`` methods can be named, so a
        state file cannot call anything else); ``LookupError`` for a task no part defines."""
        method = getattr(self, f"_timer_{task}", None) if task.isidentifier() else None
        if method is None:
            raise LookupError(f"unknown timer task {task!r}")
        return method

    def audit(self, sr: SignatureRequest, action: str, actor: str) -> None:
        """Add to the request's audit trail (``actor``: an address, :data:`REQUESTER` or
        :data:`SERVICE`); every entry is a new version of the request's files."""
        actor = self.account.email_address if actor == REQUESTER else actor
        sr.audit.append(AuditEntry(self.clock.timestamp(), action, actor))
        sr.version += 1
