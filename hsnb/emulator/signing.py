"""The signing side of the emulated service: signers, sign URLs and expiry.

Part of :class:`~hsnb.emulator.backend.Backend` (a mixin, to keep each file to one job);
document processing before a request is sent is
:class:`~hsnb.emulator.processing.ProcessingMixin`'s.

* what a person does: view, sign, decline (the sign page, the control plane and the
  ``Emulator`` helpers call these), with ``signature_request_viewed`` (first view only;
  UNCONFIRMED whether the real service repeats it), ``signed`` (one per signer),
  ``all_signed`` and, once the final copy is prepared, ``downloadable``;
* embedded sign URLs: 409 "This request cannot be signed yet" while processing, usable once,
  valid for ``sign_url_ttl``; a used or expired one sends ``sign_url_invalid``;
* signing order: when any signer was given an ``order``, a signer can open, sign or decline
  (and get a sign URL) only once every signer with a lower ``order`` has signed; before that
  409 "This request is signed in order: wait until ... has signed." (equal orders sign in any
  order). UNCONFIRMED: the real service's rules (it e-mails later signers only when their turn
  comes; what it answers for an early embedded sign URL is not documented);
* expiry: once the emulated clock reaches a request's ``expires_at``, its unsigned signatures
  become ``expired``, the request answers like a finished one (409 "This request has expired."
  for sign URLs and the sign page; UNCONFIRMED: newer docs list an error name
  ``signature_request_expired``, 400 or 403, without saying where it is used) and
  ``signature_request_expired`` is sent. A request still processing then does not expire.

Copies of the documents (the files endpoints) are :class:`~hsnb.emulator.files.FilesMixin`'s.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from hsnb.emulator.lifecycle import RequestState, SignerStatus, move
from hsnb.emulator.models import FileLink, SignatureRequest, Signer, SignUrl
from hsnb.errors import BadRequest, Conflict, Deleted, NotFound

if TYPE_CHECKING:
    from hsnb.emulator.backend import Backend

NOT_YET_MSG = "This request cannot be signed yet"
_TAG_FIELDS: dict[str, tuple[str, dict[str, Any]]] = {
    "sig": ("signature", {"value": None, "is_signed": True}),
    "initial": ("initials", {"value": None, "is_signed": True}),
    "text": ("text", {"value": ""}),
    "check": ("checkbox", {"value": False}),
}


class SigningMixin:
    """Signers, sign URLs and expiry (see the module docstring)."""

    def _init_signing_state(self: Backend) -> None:
        self.sign_urls: dict[str, SignUrl] = {}
        self.sessions: dict[str, str] = {}
        self.file_links: dict[str, FileLink] = {}
        self._copies: dict[tuple[str, str], tuple[int, bytes]] = {}

    # -- expiry --------------------------------------------------------------------------

    def _expire(self: Backend, request_id: str) -> None:
        sr = self.requests.get(request_id)
        if sr is None or sr.state is not RequestState.AWAITING_SIGNATURE:
            return
        move(sr, RequestState.EXPIRED)
        for signer in sr.signers:
            signer.pending_action = None
            if signer.status is SignerStatus.AWAITING_SIGNATURE:
                move(signer, SignerStatus.EXPIRED)
        self._audit(sr, "expired", "Dropbox Sign")
        self._emit("signature_request_expired", sr)

    # -- a person's actions --------------------------------------------------------------

    def find_signature(self: Backend, signature_id: str) -> tuple[SignatureRequest, Signer]:
        """The request and signer of ``signature_id`` (404 ``not_found`` otherwise)."""
        for sr in self.requests.values():
            signer = sr.signer(signature_id)
            if signer is not None:
                return sr, signer
        raise NotFound("Signature not found.")

    def check_signable(self: Backend, sr: SignatureRequest, signer: Signer) -> None:
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
        waiting = _signers_before(sr, signer)
        if waiting:
            names = " and ".join(f"{s.name} (order {s.order})" for s in waiting)
            verb = "has" if len(waiting) == 1 else "have"
            raise Conflict(f"This request is signed in order: wait until {names} {verb} signed.")
        if signer.pending_action:
            raise Conflict(f"This signer is already busy: {signer.pending_action}.")

    def view(self: Backend, signature_id: str) -> SignatureRequest:
        """The signer opens the request (``signature_request_viewed`` the first time)."""
        sr, signer = self.find_signature(signature_id)
        self.check_signable(sr, signer)
        self._viewed(sr, signer)
        return sr

    def sign(self: Backend, signature_id: str) -> SignatureRequest:
        """The signer signs (opening it first if they never did), after the signing delay."""
        sr, signer = self.find_signature(signature_id)
        self.check_signable(sr, signer)
        if signer.last_viewed_at is None:
            self._viewed(sr, signer)
        self._after_signer(sr, signer, "signing", lambda: self._signed(sr, signer))
        return sr

    def decline(self: Backend, signature_id: str, reason: str | None = None) -> SignatureRequest:
        """The signer declines with ``reason`` (only if the request has ``allow_decline``)."""
        sr, signer = self.find_signature(signature_id)
        self.check_signable(sr, signer)
        if not sr.allow_decline:
            raise BadRequest("This signature request does not allow declining (allow_decline).")
        if signer.last_viewed_at is None:
            self._viewed(sr, signer)
        self._after_signer(sr, signer, "declining", lambda: self._declined(sr, signer, reason))
        return sr

    def _viewed(self: Backend, sr: SignatureRequest, signer: Signer) -> None:
        first = signer.last_viewed_at is None
        signer.last_viewed_at = self.clock.timestamp()
        sr.version += 1
        if first:
            self._audit(sr, "viewed", signer.email_address)
            self._emit("signature_request_viewed", sr, related=signer.signature_id)

    def _after_signer(
        self: Backend, sr: SignatureRequest, signer: Signer, action: str, step: Any
    ) -> None:
        """Run ``step`` after the signer's drawn delay, unless the request moved on meanwhile."""
        delay = self.random.draw(self.config.signing_delay)
        if delay <= 0:
            step()
            return
        signer.pending_action = action

        def later() -> None:
            if signer.pending_action != action:
                return
            signer.pending_action = None
            if sr.state is RequestState.AWAITING_SIGNATURE:
                step()

        self.clock.call_later(delay, later)

    def _signed(self: Backend, sr: SignatureRequest, signer: Signer) -> None:
        move(signer, SignerStatus.SIGNED)
        signer.signed_at = self.clock.timestamp()
        sr.response_data.extend(self._fields_of(sr, signer))
        self._audit(sr, "signed", signer.email_address)
        done = all(s.status is SignerStatus.SIGNED for s in sr.signers)
        if done:
            move(sr, RequestState.COMPLETE)
            self._audit(sr, "completed", "Dropbox Sign")
        delay = self.random.draw(self.config.file_prep_delay)
        if delay > 0:
            sr.preparing += 1
        self._emit("signature_request_signed", sr, related=signer.signature_id)
        if done:
            self._emit("signature_request_all_signed", sr)
        if delay > 0:
            self.clock.call_later(delay, lambda: self._prepared(sr, final=done))
        elif done:
            self._emit("signature_request_downloadable", sr)

    def _prepared(self: Backend, sr: SignatureRequest, *, final: bool) -> None:
        sr.preparing -= 1
        sr.version += 1
        if final and sr.state is RequestState.COMPLETE:
            self._emit("signature_request_downloadable", sr)

    def _declined(self: Backend, sr: SignatureRequest, signer: Signer, reason: str | None) -> None:
        move(signer, SignerStatus.DECLINED)
        move(sr, RequestState.DECLINED)
        signer.decline_reason = reason
        self._audit(sr, f"declined: {reason}" if reason else "declined", signer.email_address)
        self._emit("signature_request_declined", sr, related=signer.signature_id, message=reason)

    def _fields_of(self: Backend, sr: SignatureRequest, signer: Signer) -> list[dict[str, Any]]:
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

    def sign_url(self: Backend, account: Any, signature_id: str) -> SignUrl:
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

    def open_sign_url(self: Backend, signature_id: str, token: str) -> str:
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
        sr, signer = self.find_signature(signature_id)
        self.check_signable(sr, signer)
        self._viewed(sr, signer)
        session = self.random.token()
        self.sessions[session] = signature_id
        return session

    def open_signer_page(self: Backend, signature_id: str) -> str:
        """Open the request as the signer without a sign URL (the control plane's "inbox link",
        e.g. for ``send`` requests); views it and returns a page session."""
        sr, signer = self.find_signature(signature_id)
        self.check_signable(sr, signer)
        self._viewed(sr, signer)
        session = self.random.token()
        self.sessions[session] = signature_id
        return session

    def session_signer(self: Backend, session: str) -> tuple[SignatureRequest, Signer]:
        """The request and signer of an open page session (410 once it ended)."""
        signature_id = self.sessions.get(session)
        if signature_id is None:
            raise Deleted("This signing session has ended.")
        sr, signer = self.find_signature(signature_id)
        if sr.state is RequestState.CANCELED:
            raise Deleted("This signature request has been canceled.")
        return sr, signer

    def session_copy(self: Backend, session: str) -> bytes:
        """The current copy as the signer sees it on the page (even while files are prepared)."""
        sr, _ = self.session_signer(session)
        return self._copy(sr, "pdf")

    def act_in_session(self: Backend, session: str, action: str, reason: str | None = None) -> Any:
        """The sign page's buttons: ``sign`` or ``decline``, once per page session."""
        if action not in ("sign", "decline"):
            raise BadRequest(f"Unknown action {action!r}.", error_path="action")
        _, signer = self.session_signer(session)
        signature_id = signer.signature_id
        result = self.sign(signature_id) if action == "sign" else self.decline(signature_id, reason)
        del self.sessions[session]
        return result

    def _sign_url_invalid(self: Backend, signature_id: str) -> None:
        if not self.config.emit_sign_url_invalid:
            return
        try:
            sr, signer = self.find_signature(signature_id)
        except NotFound:
            return
        self._emit("sign_url_invalid", sr, related=signer.signature_id)


def _signers_before(sr: SignatureRequest, signer: Signer) -> list[Signer]:
    """The signers who must sign before ``signer`` and have not yet (none if not ``ordered``)."""
    if not sr.ordered or signer.order is None:
        return []
    return [
        s
        for s in sr.signers
        if s.order is not None and s.order < signer.order and s.status is not SignerStatus.SIGNED
    ]
