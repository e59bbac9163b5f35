"""Signature requests: create (``send`` and ``create_embedded``), get, list, cancel, remind and
expiry. Part of the :class:`~hsnb.emulator.service.backend.Backend` (see
:mod:`hsnb.emulator.service.core`).

A new request is accepted at once (parameter problems answer 400 now) and processed after the drawn
``processing_delay`` (:mod:`hsnb.emulator.service.processing`: document problems come later, as an
event). Expiry: once the emulated clock reaches a request's ``expires_at``, its unsigned signatures
become ``expired``, the request answers like a finished one (409 "This request has expired." for
sign URLs and the sign page; UNCONFIRMED: newer docs list an error name
``signature_request_expired``, 400 or 403, without saying where it is used) and
``signature_request_expired`` is sent. A request still processing then does not expire.

One account per emulator. Not implemented: unclaimed drafts, bulk send,
``signature_request/update``, ``release_hold``, ``remove``, reassignment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hsnb.emulator.service.core import REQUESTER, SERVICE
from hsnb.emulator.service.lifecycle import RequestState, SignerStatus, move
from hsnb.emulator.service.models import Account, SignatureRequest, Signer
from hsnb.emulator.service.processing import ProcessingMixin
from hsnb.emulator.service.validation import check_signature_request, page_of
from hsnb.errors import BadRequest, Forbidden, InvalidReminder, SignatureRequestCancelFailed


class RequestsMixin(ProcessingMixin):
    """Create, list, cancel, remind and expire signature requests (see the module docstring)."""

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
            self.owned_app(account, client_id)
        fields = check_signature_request(params, now=self.clock.timestamp())
        signers = [
            Signer(
                signature_id=self.random.signature_id(), index=signer.pop("position", i), **signer
            )
            for i, signer in enumerate(fields.pop("signers"))
        ]
        guids: dict[str, str] = {}
        for signer in signers:
            if signer.group is not None:
                signer.group_guid = guids.setdefault(signer.group, self.random.hex(40))
        sr = SignatureRequest(
            signature_request_id=self.random.request_id(),
            account_id=account.account_id,
            requester_email_address=account.email_address,
            created_at=self.clock.timestamp(),
            is_embedded=embedded,
            signers=signers,
            client_id=client_id,
            sequence=self.next_sequence(),
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
        self.audit(sr, "created", REQUESTER)
        delay = self.random.draw(self.config.processing_delay)
        self.schedule(delay, "process", sr.signature_request_id)
        self._read_ahead(sr)
        if sr.expires_at is not None:
            self.schedule(sr.expires_at - self.clock.now(), "expire", sr.signature_request_id)
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
        self.audit(sr, "canceled", REQUESTER)
        delay = self.random.draw(self.config.cancel_delay)
        self.schedule(delay, "canceled", sr.signature_request_id)
        return sr

    def _timer_canceled(self, request_id: str) -> None:
        self.emit("signature_request_canceled", request=self.requests[request_id])

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
        self.audit(sr, "reminded", signer.email_address)
        self.emit("signature_request_remind", request=sr, related=signer.signature_id)
        return sr

    def _timer_expire(self, request_id: str) -> None:
        sr = self.requests.get(request_id)
        if sr is None or sr.state is not RequestState.AWAITING_SIGNATURE:
            return
        move(sr, RequestState.EXPIRED)
        for signer in sr.signers:
            signer.pending_action = None
            waiting = signer.status is SignerStatus.AWAITING_SIGNATURE
            if waiting and not sr.position_signed(signer.index):
                move(signer, SignerStatus.EXPIRED)
        self.audit(sr, "expired", SERVICE)
        self.emit("signature_request_expired", request=sr)


def _matches(sr: SignatureRequest, query: str) -> bool:
    needle = query.lower()
    texts = [sr.signature_request_id, sr.title, sr.subject, sr.message]
    texts += [s.name for s in sr.signers] + [s.email_address for s in sr.signers]
    return any(needle in (text or "").lower() for text in texts)
