"""Life cycles of a signature request and of its signers, as declared (from, to) transitions.

A signature request::

    processing --sent--> awaiting_signature --all signed--> complete
        |                    |--declined--> declined
        |                    |--canceled--> canceled
        '--file error--> error   '--expires_at passed--> expired

A signer (``status_code`` in the API)::

    awaiting_signature --> signed | declined | expired
                           | error_text_tag | error_file | error_unknown

Anything else raises :class:`InvalidTransition` (a 409 ``conflict`` if it ever reaches the API;
the models check the meaningful cases first and raise the error the real service answers).
"""

from __future__ import annotations

from enum import StrEnum

from hsnb.emulator.exceptions import Conflict


class RequestState(StrEnum):
    """Where a signature request is in its life."""

    PROCESSING = "processing"
    AWAITING_SIGNATURE = "awaiting_signature"
    COMPLETE = "complete"
    DECLINED = "declined"
    CANCELED = "canceled"
    EXPIRED = "expired"
    ERROR = "error"


class SignerStatus(StrEnum):
    """A signer's ``status_code`` as the API reports it."""

    AWAITING_SIGNATURE = "awaiting_signature"
    SIGNED = "signed"
    DECLINED = "declined"
    EXPIRED = "expired"
    ERROR_TEXT_TAG = "error_text_tag"
    ERROR_FILE = "error_file"
    ERROR_UNKNOWN = "error_unknown"


#: The allowed request transitions; the value names the step (for messages and the audit trail).
REQUEST_TRANSITIONS: dict[tuple[RequestState, RequestState], str] = {
    (RequestState.PROCESSING, RequestState.AWAITING_SIGNATURE): "sent",
    (RequestState.PROCESSING, RequestState.ERROR): "failed processing",
    (RequestState.AWAITING_SIGNATURE, RequestState.COMPLETE): "completed",
    (RequestState.AWAITING_SIGNATURE, RequestState.DECLINED): "declined",
    (RequestState.AWAITING_SIGNATURE, RequestState.CANCELED): "canceled",
    (RequestState.AWAITING_SIGNATURE, RequestState.EXPIRED): "expired",
}

#: The allowed signer transitions.
SIGNER_TRANSITIONS: dict[tuple[SignerStatus, SignerStatus], str] = {
    (SignerStatus.AWAITING_SIGNATURE, SignerStatus.SIGNED): "signed",
    (SignerStatus.AWAITING_SIGNATURE, SignerStatus.DECLINED): "declined",
    (SignerStatus.AWAITING_SIGNATURE, SignerStatus.EXPIRED): "expired",
    (SignerStatus.AWAITING_SIGNATURE, SignerStatus.ERROR_TEXT_TAG): "text tag error",
    (SignerStatus.AWAITING_SIGNATURE, SignerStatus.ERROR_FILE): "file error",
    (SignerStatus.AWAITING_SIGNATURE, SignerStatus.ERROR_UNKNOWN): "unknown error",
}

#: The audit trail status shown on a copy, by request state.
AUDIT_STATUS: dict[RequestState, str] = {
    RequestState.PROCESSING: "awaiting_signature",
    RequestState.AWAITING_SIGNATURE: "awaiting_signature",
    RequestState.COMPLETE: "completed",
    RequestState.DECLINED: "declined",
    RequestState.CANCELED: "canceled",
    RequestState.EXPIRED: "expired",
    RequestState.ERROR: "awaiting_signature",
}


class InvalidTransition(Conflict):
    """A life-cycle step that is not allowed from the current state."""


def request_step(current: RequestState, target: RequestState) -> str:
    """Name of the step from ``current`` to ``target``; raises :class:`InvalidTransition`."""
    try:
        return REQUEST_TRANSITIONS[(current, target)]
    except KeyError:
        raise InvalidTransition(
            f"A signature request cannot go from {current.value} to {target.value}."
        ) from None


def signer_step(current: SignerStatus, target: SignerStatus) -> str:
    """Name of the step from ``current`` to ``target``; raises :class:`InvalidTransition`."""
    try:
        return SIGNER_TRANSITIONS[(current, target)]
    except KeyError:
        raise InvalidTransition(
            f"A signer cannot go from {current.value} to {target.value}."
        ) from None
