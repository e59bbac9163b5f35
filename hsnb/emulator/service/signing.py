"""The signing side of the emulated service: what a signer does, sign URLs, the sign page.

Part of the :class:`~hsnb.emulator.service.backend.Backend` (see :mod:`hsnb.emulator.service.core`);
it shows the signer the current copy of the documents, so it builds on
:class:`~hsnb.emulator.service.files.FilesMixin`.

* what a person does: view, sign, decline (the sign page, the control plane and the
  ``Emulator`` helpers call these), with ``signature_request_viewed`` (first view only;
  UNCONFIRMED whether the real service repeats it), ``signed`` (one per signer),
  ``all_signed`` and, once the final copy is prepared, ``downloadable``;
* embedded sign URLs: 409 "This request cannot be signed yet" while processing, usable once,
  valid for ``sign_url_ttl``; a used or expired one sends ``sign_url_invalid``;
* ``grouped_signers``: every member of a group gets a signature and a sign URL; any one of them
  signs for the group (one ``signature_request_signed``, its ``related_signature_id`` the member
  who signed); the others then answer 409 and stay ``awaiting_signature``; ``all_signed`` once
  every group signed; a member's decline declines the request. UNCONFIRMED beyond the spec's
  "any one member": what the other members' ``status_code`` becomes, and whether a member can
  decline for the group;
* signing order: when any signer was given an ``order``, a signer can open, sign or decline
  (and get a sign URL) only once every signer with a lower ``order`` has signed; before that
  409 "This request is signed in order: wait until ... has signed." (equal orders sign in any
  order). UNCONFIRMED: the real service's rules (it e-mails later signers only when their turn
  comes; what it answers for an early embedded sign URL is not documented);
* a request that expired, was declined, failed processing or is complete answers 409 (expiry
  itself is :mod:`hsnb.emulator.service.requests`'s).
"""

from __future__ import annotations

import time
from typing import Any

from hsnb.emulator.service.core import SERVICE
from hsnb.emulator.service.files import FilesMixin
from hsnb.emulator.service.lifecycle import RequestState, SignerStatus, move
from hsnb.emulator.service.models import SignatureRequest, Signer, SignUrl
from hsnb.errors import BadRequest, Conflict, Deleted, NotFound

NOT_YET_MSG = "This request cannot be signed yet"
_TAG_FIELDS: dict[str, tuple[str, dict[str, Any]]] = {
    # The spec types a signature's ``value`` as a string and shows none: it is left out.
    "sig": ("signature", {"is_signed": True}),
    "initial": ("initials", {"is_signed": True}),
    "text": ("text", {"value": ""}),
    "check": ("checkbox", {"value": False}),
}


class SigningMixin(FilesMixin):
    """Signers, sign URLs and the sign page (see the module docstring)."""

    sign_urls: dict[str, SignUrl]
    sessions: dict[str, str]

    def _fresh_state(self) -> None:
        super()._fresh_state()
        self.sign_urls = {}
        self.sessions = {}

    # -- a person's actions --------------------------------------------------------------

    def find_signature(self, signature_id: str) -> tuple[SignatureRequest, Signer]:
        """The request and signer of ``signature_id`` (404 ``not_found`` otherwise)."""
        # newest first: signers act on recent requests, so a long run does not scan them all
        for sr in reversed(self.requests.values()):
            signer = sr.signer(signature_id)
            if signer is not None:
                return sr, signer
        raise NotFound("Signature not found.")

    def check_signable(self, sr: SignatureRequest, signer: Signer) -> None:
        """Raise what the real service answers when this signer cannot sign now."""
        if sr.state is RequestState.CANCELED:
            raise Deleted("This signature request has been canceled.")
        if sr.state is RequestState.PROCESSING:
            raise Conflict(NOT_YET_MSG)
        if sr.state is RequestState.ERROR:
            raise Conflict("This request cannot be signed: its documents could not be processed.")
        if sr.state is RequestState.DECLINED:
            raise Conflict("This request has been declined.")
        if sr.state is RequestState.EXPIRED:
            raise Conflict("This request has expired.")
        if signer.status is SignerStatus.SIGNED:
            raise Conflict("This signature has already been signed.")
        if signer.group is not None and sr.position_signed(signer.index):
            raise Conflict(f"Another member of group {signer.group} has already signed for it.")
        waiting = _signers_before(sr, signer)
        if waiting:
            names = " and ".join(
                f"{f'group {s.group}' if s.group else s.name} (order {s.order})" for s in waiting
            )
            verb = "has" if len(waiting) == 1 else "have"
            raise Conflict(f"This request is signed in order: wait until {names} {verb} signed.")
        if signer.pending_action:
            raise Conflict(f"This signer is already busy: {signer.pending_action}.")

    def view(self, signature_id: str) -> SignatureRequest:
        """The signer opens the request (``signature_request_viewed`` the first time)."""
        sr, signer = self.find_signature(signature_id)
        self.check_signable(sr, signer)
        self._viewed(sr, signer)
        return sr

    def sign(self, signature_id: str) -> SignatureRequest:
        """The signer signs (opening it first if they never did), after the signing delay."""
        sr, signer = self.find_signature(signature_id)
        self.check_signable(sr, signer)
        if signer.last_viewed_at is None:
            self._viewed(sr, signer)
        self._after_signer(sr, signer, "signing")
        return sr

    def decline(self, signature_id: str, reason: str | None = None) -> SignatureRequest:
        """The signer declines with ``reason`` (only if the request has ``allow_decline``)."""
        sr, signer = self.find_signature(signature_id)
        self.check_signable(sr, signer)
        if not sr.allow_decline:
            raise BadRequest("This signature request does not allow declining (allow_decline).")
        if signer.last_viewed_at is None:
            self._viewed(sr, signer)
        self._after_signer(sr, signer, "declining", reason)
        return sr

    def _viewed(self, sr: SignatureRequest, signer: Signer) -> None:
        first = signer.last_viewed_at is None
        signer.last_viewed_at = self.clock.timestamp()
        sr.version += 1
        if first:
            self.audit(sr, "viewed", signer.email_address)
            self.emit("signature_request_viewed", request=sr, related=signer.signature_id)

    def _after_signer(
        self, sr: SignatureRequest, signer: Signer, action: str, reason: str | None = None
    ) -> None:
        """Sign or decline (``action``) after the signer's drawn delay."""
        delay = self.random.draw(self.config.signing_delay)
        if delay <= 0:
            self._signer_step(sr, signer, action, reason)
            return
        signer.pending_action = action
        self.schedule(delay, "signer", signer.signature_id, action, reason)

    def _timer_signer(self, signature_id: str, action: str, reason: str | None) -> None:
        """The signer's delayed step, unless the request moved on meanwhile."""
        sr, signer = self.find_signature(signature_id)
        if signer.pending_action != action:
            return
        signer.pending_action = None
        if sr.state is RequestState.AWAITING_SIGNATURE:
            self._signer_step(sr, signer, action, reason)

    def _signer_step(
        self, sr: SignatureRequest, signer: Signer, action: str, reason: str | None
    ) -> None:
        if action == "signing":
            self._signed(sr, signer)
        else:
            self._declined(sr, signer, reason)

    def _signed(self, sr: SignatureRequest, signer: Signer) -> None:
        if sr.position_signed(signer.index):
            return  # another member of the group signed first (during the signing delay)
        move(signer, SignerStatus.SIGNED)
        signer.signed_at = self.clock.timestamp()
        sr.response_data.extend(self._fields_of(sr, signer))
        self.audit(sr, "signed", signer.email_address)
        done = sr.all_positions_signed
        if done:
            move(sr, RequestState.COMPLETE)
            self.audit(sr, "completed", SERVICE)
        delay = self.random.draw(self.config.file_prep_delay)
        if delay > 0:
            sr.preparing += 1
        self.emit("signature_request_signed", request=sr, related=signer.signature_id)
        if done:
            self.emit("signature_request_all_signed", request=sr)
        if delay > 0:
            self.schedule(delay, "prepared", sr.signature_request_id, done)
        elif done:
            self.emit("signature_request_downloadable", request=sr)

    def _timer_prepared(self, request_id: str, final: bool) -> None:
        sr = self.requests[request_id]
        sr.preparing -= 1
        sr.version += 1
        if final and sr.state is RequestState.COMPLETE:
            self.emit("signature_request_downloadable", request=sr)

    def _declined(self, sr: SignatureRequest, signer: Signer, reason: str | None) -> None:
        move(signer, SignerStatus.DECLINED)
        move(sr, RequestState.DECLINED)
        signer.decline_reason = reason
        self.audit(sr, f"declined: {reason}" if reason else "declined", signer.email_address)
        self.emit(
            "signature_request_declined", request=sr, related=signer.signature_id, message=reason
        )

    def _fields_of(self, sr: SignatureRequest, signer: Signer) -> list[dict[str, Any]]:
        """``response_data`` entries for the signer's text tags (``date`` gets the sign date)."""
        fields = []
        tags = [t for d in sr.documents for t in d.tags if t.signer == signer.index + 1]
        for n, tag in enumerate(tags, 1):
            if tag.kind == "date":
                signed = time.strftime("%m/%d/%Y", time.gmtime(signer.signed_at or 0))
                kind, extra = "date_signed", {"value": signed}
            elif tag.kind in _TAG_FIELDS:
                kind, extra = _TAG_FIELDS[tag.kind]
            else:
                continue
            fields.append(
                {
                    "api_id": tag.api_id or f"{signer.signature_id[:8]}_{n}",
                    "signature_id": signer.signature_id,
                    "name": tag.label or "",
                    "required": tag.required,
                    "type": kind,
                    **extra,
                }
            )
        return fields

    # -- sign URLs and the sign page -----------------------------------------------------

    def sign_url(self, account: Any, signature_id: str) -> SignUrl:
        """A one-time embedded sign URL for the signer (see :meth:`check_signable`)."""
        sr, signer = self.find_signature(signature_id)
        if sr.account_id != account.account_id:
            raise NotFound("Signature not found.")
        if not sr.is_embedded:
            raise BadRequest("This signature request was not created for embedded signing.")
        self.check_signable(sr, signer)
        link = SignUrl(
            token=self.random.token(),
            signature_id=signature_id,
            expires_at=self.clock.timestamp() + int(self.config.sign_url_ttl),
        )
        self.sign_urls[link.token] = link
        return link

    def open_sign_url(self, signature_id: str, token: str) -> str:
        """Open a sign URL as a browser does: marks it used, views, returns a page session.

        A used, expired or unknown URL raises (410 / 404) and, for a known request, sends
        ``sign_url_invalid``.
        """
        link = self.sign_urls.get(token)
        if link is None or link.signature_id != signature_id:
            self._sign_url_invalid(signature_id)
            raise NotFound("This sign URL is not valid.")
        if link.used or self.clock.timestamp() > link.expires_at:
            self._sign_url_invalid(signature_id)
            state = "has already been used" if link.used else "has expired"
            raise Deleted(f"This sign URL {state}; ask for a new one.")
        link.used = True
        return self.open_signer_page(signature_id)

    def open_signer_page(self, signature_id: str) -> str:
        """Open the request as the signer (after a sign URL was checked, or without one: the
        control plane's "inbox link", e.g. for ``send`` requests); views it and returns a page
        session."""
        sr, signer = self.find_signature(signature_id)
        self.check_signable(sr, signer)
        self._viewed(sr, signer)
        session = self.random.token()
        self.sessions[session] = signature_id
        return session

    def session_signer(self, session: str) -> tuple[SignatureRequest, Signer]:
        """The request and signer of an open page session (410 once it ended)."""
        signature_id = self.sessions.get(session)
        if signature_id is None:
            raise Deleted("This signing session has ended.")
        sr, signer = self.find_signature(signature_id)
        if sr.state is RequestState.CANCELED:
            raise Deleted("This signature request has been canceled.")
        return sr, signer

    def session_copy(self, session: str) -> bytes:
        """The current copy as the signer sees it on the page (even while files are prepared)."""
        sr, _ = self.session_signer(session)
        return self._copy(sr, "pdf")

    def act_in_session(self, session: str, action: str, reason: str | None = None) -> Any:
        """The sign page's buttons: ``sign`` or ``decline``, once per page session."""
        if action not in ("sign", "decline"):
            raise BadRequest(f"Unknown action {action!r}.", error_path="action")
        _, signer = self.session_signer(session)
        signature_id = signer.signature_id
        result = self.sign(signature_id) if action == "sign" else self.decline(signature_id, reason)
        del self.sessions[session]
        return result

    def _sign_url_invalid(self, signature_id: str) -> None:
        if not self.config.emit_sign_url_invalid:
            return
        try:
            sr, signer = self.find_signature(signature_id)
        except NotFound:
            return
        self.emit("sign_url_invalid", request=sr, related=signer.signature_id)


def _signers_before(sr: SignatureRequest, signer: Signer) -> list[Signer]:
    """The signers who must sign before ``signer`` and have not yet (none if not ``ordered``)."""
    if not sr.ordered or signer.order is None:
        return []
    waiting: dict[int, Signer] = {}  # one per position: a group waits as one
    for s in sr.signers:
        if s.order is not None and s.order < signer.order and not sr.position_signed(s.index):
            waiting.setdefault(s.index, s)
    return list(waiting.values())
