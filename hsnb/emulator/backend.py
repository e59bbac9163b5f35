"""The emulated Dropbox Sign service: accounts, API apps and signature requests, and their rules.

:class:`Backend` holds all state of one emulator and changes it only through its methods, each
of which raises an :class:`~hsnb.errors.ApiError` the way the real API answers.
Events are built here and handed to ``outbox`` as :class:`~hsnb.emulator.callbacks.Delivery`
objects; delayed work (document processing, a signer's time, file preparation, cancellation)
is scheduled on the :class:`~hsnb.emulator.clock.Clock`; ``file_urls`` are downloaded by the
injected ``fetcher`` (a :class:`~hsnb.emulator.file_urls.Fetcher`; without one, only ``data:``
URLs work). Document processing lives in
:class:`~hsnb.emulator.processing.ProcessingMixin`, the signing side (what a person does in a
browser) in :class:`~hsnb.emulator.signing.SigningMixin`, the account and its API apps in
:class:`~hsnb.emulator.accounts.AccountsMixin`, the copies of the documents in
:class:`~hsnb.emulator.files.FilesMixin`, templates and requests from them in
:class:`~hsnb.emulator.templates.TemplatesMixin`.

One account per emulator (its API key also works as a Bearer token, as does
:attr:`Backend.access_token`). Not implemented: embedded templates, unclaimed drafts, bulk send,
``signature_request/update``, ``release_hold``, ``remove``, teams, reports, faxes,
reassignment.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping
from typing import Any

from hsnb.emulator import documents as docs
from hsnb.emulator.accounts import AccountsMixin
from hsnb.emulator.callbacks import Delivery, deliveries_for
from hsnb.emulator.clock import Clock, Randomness
from hsnb.emulator.config import EmulatorConfig
from hsnb.emulator.faults import Faults
from hsnb.emulator.file_urls import Fetcher, OfflineFetcher
from hsnb.emulator.files import FilesMixin
from hsnb.emulator.lifecycle import RequestState, SignerStatus, move
from hsnb.emulator.models import Account, ApiApp, EmittedEvent, SignatureRequest, Signer
from hsnb.emulator.processing import ProcessingMixin
from hsnb.emulator.serializers import Urls, signature_request_json
from hsnb.emulator.signing import SigningMixin
from hsnb.emulator.templates import TemplatesMixin
from hsnb.emulator.validation import check_signature_request, page_of
from hsnb.errors import (
    BadRequest,
    Deleted,
    Forbidden,
    InvalidReminder,
    NotFound,
    SignatureRequestCancelFailed,
)

Outbox = Callable[[Delivery], None]
REQUESTER = "requester"


class Backend(AccountsMixin, ProcessingMixin, SigningMixin, FilesMixin, TemplatesMixin):
    """All state and rules of one emulated service (see the module docstring).

    ``api_key``: the account's key (default: drawn from the seed). ``callback_url`` and
    ``app_callback_url``: the account's and the default app's callback URLs. ``fetcher``:
    downloads ``file_urls`` (default: :class:`~hsnb.emulator.file_urls.OfflineFetcher`).
    """

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
    ) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock or Clock()
        self.random = randomness or Randomness(0)
        self.urls = urls or Urls()
        self.outbox: Outbox = outbox or (lambda delivery: None)
        self.fetcher: Fetcher = fetcher or OfflineFetcher()
        self.faults = Faults()
        self._initial_urls = (callback_url, app_callback_url)
        identity = self._draw_identity()
        self.account = Account(
            account_id=identity["account_id"],
            email_address=self.config.account_email,
            api_key=api_key or identity["api_key"],
            access_tokens={identity["access_token"]},
        )
        self._default_client_id = identity["client_id"]
        self._fresh_state()

    # -- identity, reset, events ---------------------------------------------------------

    @property
    def access_token(self) -> str:
        """An OAuth-style Bearer token of the account."""
        return next(iter(self.account.access_tokens))

    @property
    def default_app(self) -> ApiApp | None:
        """The API app every emulator starts with (``None`` once deleted)."""
        return self.apps.get(self._default_client_id)

    def reset(self, seed: int | None = None) -> None:
        """Forget every request, app change, event and fault; restart the clock and the ids.

        The account (its id and API key) and the default app's ``client_id`` stay, so clients
        keep working. After ``reset(seed)`` ids follow a fresh emulator with that seed.
        """
        self.clock.cancel_all()
        self.fetcher.cancel_all()
        self.clock.reset()
        self.random.reseed(self.random.seed if seed is None else seed)
        self._draw_identity()
        self.faults.clear()
        self._fresh_state()

    def _draw_identity(self) -> dict[str, str]:
        return {
            "account_id": self.random.account_id(),
            "api_key": self.random.api_key(),
            "client_id": self.random.client_id(),
            "access_token": self.random.token(),
        }

    def _fresh_state(self) -> None:
        callback_url, app_callback_url = self._initial_urls
        self.account.callback_url = callback_url
        self.apps: dict[str, ApiApp] = {}
        self.apps[self._default_client_id] = ApiApp(
            client_id=self._default_client_id,
            name="hsnb emulator app",
            domains=["example.com"],
            owner_account_id=self.account.account_id,
            owner_email_address=self.account.email_address,
            created_at=self.clock.timestamp(),
            callback_url=app_callback_url,
            is_approved=True,
        )
        self.requests: dict[str, SignatureRequest] = {}
        self.templates = {}
        self.events: list[EmittedEvent] = []
        self._init_signing_state()
        self._delivery_ids = itertools.count(1)
        self._sequence = itertools.count(1)

    def _emit(
        self,
        event_type: str,
        sr: SignatureRequest,
        *,
        related: str | None = None,
        message: str | None = None,
    ) -> EmittedEvent:
        event = EmittedEvent(
            event_type, self.clock.timestamp(), sr.signature_request_id, related, message
        )
        self.events.append(event)
        app = self.apps.get(sr.client_id) if sr.client_id else None
        snapshot = signature_request_json(sr, self.urls)
        for delivery in deliveries_for(event, self.account, app, snapshot, self._delivery_ids):
            self._send(delivery)
        return event

    def _send(self, delivery: Delivery) -> Delivery:
        """Hand ``delivery`` to the outbox with its queueing delay drawn; return what was sent."""
        delay = self.random.draw(self.config.callback_delay)
        if delay:
            delivery = dataclasses.replace(delivery, delay=delay)
        self.outbox(delivery)
        return delivery

    def _audit(self, sr: SignatureRequest, action: str, actor: str) -> None:
        actor = self.account.email_address if actor == REQUESTER else actor
        sr.audit.append(docs.AuditEntry(self.clock.timestamp(), action, actor))
        sr.version += 1

    # -- signature requests ------------------------------------------------------------------

    def create_signature_request(
        self, account: Account, params: Mapping[str, Any], *, embedded: bool
    ) -> SignatureRequest:
        """Accept a create_embedded (``embedded``) or send request and schedule its processing.

        Parameter problems raise 400 now; document problems come later as an event.
        """
        client_id = params.get("client_id")
        if embedded and not client_id:
            raise BadRequest("client_id is required.", error_path="client_id")
        if client_id:
            app = self.apps.get(client_id)
            if app is None or app.owner_account_id != account.account_id:
                raise BadRequest(f"Invalid client_id: {client_id}", error_path="client_id")
        fields = check_signature_request(params, now=self.clock.timestamp())
        signers = [
            Signer(signature_id=self.random.signature_id(), index=i, **signer)
            for i, signer in enumerate(fields.pop("signers"))
        ]
        sr = SignatureRequest(
            signature_request_id=self.random.request_id(),
            account_id=account.account_id,
            requester_email_address=account.email_address,
            created_at=self.clock.timestamp(),
            is_embedded=embedded,
            signers=signers,
            client_id=client_id,
            sequence=next(self._sequence),
            **fields,
        )
        if sr.use_text_tags and any(not u.data.startswith(b"%PDF") for u in sr.uploads):
            sr.warnings.append(
                {
                    "warning_msg": "Text tags in non-PDF files may be placed imprecisely.",
                    "warning_name": "non_pdf_text_tags",
                }
            )
        self.requests[sr.signature_request_id] = sr
        self._audit(sr, "created", REQUESTER)
        delay = self.random.draw(self.config.processing_delay)
        self.clock.call_later(delay, lambda: self._process(sr.signature_request_id))
        if sr.expires_at is not None:
            until = sr.expires_at - self.clock.now()
            self.clock.call_later(until, lambda: self._expire(sr.signature_request_id))
        return sr

    def get_signature_request(self, account: Account, request_id: str) -> SignatureRequest:
        """The request; 404 if unknown or another account's, 410 ``deleted`` once canceled."""
        sr = self.requests.get(request_id)
        if sr is None:
            raise NotFound("Not found.")
        if sr.account_id != account.account_id:
            raise Forbidden("You do not have access to this signature request.")
        if sr.state is RequestState.CANCELED:
            raise Deleted("This resource has been deleted.")
        return sr

    def list_signature_requests(
        self,
        account: Account,
        *,
        page: int = 1,
        page_size: int = 20,
        query: str | None = None,
        account_id: str | None = None,
    ) -> tuple[list[SignatureRequest], int]:
        """One page of the account's requests, newest first, and the total.

        ``query`` is a case-insensitive substring of the title, subject, message, request id
        or a signer's name or e-mail (the real search syntax is not implemented). Canceled
        requests are left out (they answer 410).
        """
        if account_id not in (None, "all", account.account_id):
            raise Forbidden("You do not have access to that account.", error_path="account_id")
        found = [
            sr
            for sr in self.requests.values()
            if sr.account_id == account.account_id
            and sr.state is not RequestState.CANCELED
            and (not query or _matches(sr, query))
        ]
        found.sort(key=lambda sr: sr.sequence, reverse=True)
        return page_of(found, page, page_size)

    def cancel(self, account: Account, request_id: str) -> SignatureRequest:
        """Cancel now (410 from then on); ``signature_request_canceled`` follows after a delay.

        Only a request that was sent and is neither complete nor declined can be canceled
        (400 ``signature_request_cancel_failed`` otherwise).
        """
        sr = self.get_signature_request(account, request_id)
        if sr.state is RequestState.PROCESSING:
            raise SignatureRequestCancelFailed("This signature request has not been sent yet.")
        if sr.state is not RequestState.AWAITING_SIGNATURE:
            message = f"This signature request cannot be canceled: it is {sr.state}."
            raise SignatureRequestCancelFailed(message)
        move(sr, RequestState.CANCELED)
        for signer in sr.signers:
            signer.pending_action = None
        self._audit(sr, "canceled", REQUESTER)
        delay = self.random.draw(self.config.cancel_delay)
        self.clock.call_later(delay, lambda: self._emit("signature_request_canceled", sr))
        return sr

    def remind(
        self, account: Account, request_id: str, email_address: str | None
    ) -> SignatureRequest:
        """Remind a signer (not of embedded requests, not twice within the reminder interval)."""
        sr = self.get_signature_request(account, request_id)
        if not email_address:
            raise BadRequest("email_address is required.", error_path="email_address")
        if sr.is_embedded:
            raise InvalidReminder("Reminders cannot be sent for embedded signature requests.")
        if sr.state is not RequestState.AWAITING_SIGNATURE:
            raise InvalidReminder(f"This signature request is {sr.state}: nobody to remind.")
        signer = next(
            (
                s
                for s in sr.signers
                if s.email_address.lower() == email_address.lower()
                and s.status is SignerStatus.AWAITING_SIGNATURE
            ),
            None,
        )
        if signer is None:
            raise BadRequest(
                "No signer with that email address is awaiting signature.",
                error_path="email_address",
            )
        now = self.clock.timestamp()
        last = signer.last_reminded_at
        if last is not None and now - last < self.config.reminder_interval:
            raise InvalidReminder("This signer was already reminded within the last hour.")
        signer.last_reminded_at = now
        self._audit(sr, "reminded", signer.email_address)
        self._emit("signature_request_remind", sr, related=signer.signature_id)
        return sr


def _matches(sr: SignatureRequest, query: str) -> bool:
    needle = query.lower()
    texts = [sr.signature_request_id, sr.title, sr.subject, sr.message]
    texts += [s.name for s in sr.signers] + [s.email_address for s in sr.signers]
    return any(needle in (text or "").lower() for text in texts)
