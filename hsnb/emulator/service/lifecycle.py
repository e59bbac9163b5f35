"""Life cycles of a signature request and of its signers, as declared (from, to) transitions.

A signature request::

    processing --sent--> awaiting_signature --all signed--> complete
        |                    |--declined--> declined
        |                    |--canceled--> canceled
        '--file error--> error   '--expires_at passed--> expired

A signer (``status_code`` in the API)::

    awaiting_signature --> signed | declined | expired
                           | error_text_tag | error_file | error_unknown

A template::

    processing --> ready | error

Every change of state goes through :func:`move`, which checks the step against these tables
and takes it in one call. Anything else raises :class:`InvalidTransition` (a 409 ``conflict``
if it ever reaches the API; the models check the meaningful cases first and raise the error
the real service answers).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol, overload

from hsnb.errors import Conflict


class RequestState(StrEnum):
    """Where a signature request is in its life."""

    PROCESSING = "processing"
    AWAITING_SIGNATURE = "awaiting_signature"
    COMPLETE = "complete"
    DECLINED = "declined"
    CANCELED = "canceled"
    EXPIRED = "expired"
    ERROR = "error"


class TemplateState(StrEnum):
    """Where a template is in its life: checked once, then usable or failed."""

    PROCESSING = "processing"
    READY = "ready"
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

#: The allowed template transitions.
TEMPLATE_TRANSITIONS: dict[tuple[TemplateState, TemplateState], str] = {
    (TemplateState.PROCESSING, TemplateState.READY): "created",
    (TemplateState.PROCESSING, TemplateState.ERROR): "failed processing",
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
    return _step(REQUEST_TRANSITIONS, current, target, "A signature request")


def signer_step(current: SignerStatus, target: SignerStatus) -> str:
    """Name of the step from ``current`` to ``target``; raises :class:`InvalidTransition`."""
    return _step(SIGNER_TRANSITIONS, current, target, "A signer")


def _step(table: dict[tuple[Any, Any], str], current: StrEnum, target: StrEnum, who: str) -> str:
    try:
        return table[(current, target)]
    except KeyError:
        raise InvalidTransition(
            f"{who} cannot go from {current.value} to {target.value}."
        ) from None


class HasState(Protocol):
    """Something with a request or template state."""

    state: RequestState | TemplateState


class HasStatus(Protocol):
    """Something with a signer status (a signer)."""

    status: SignerStatus


@overload
def move(subject: HasState, target: RequestState | TemplateState) -> str: ...
@overload
def move(subject: HasStatus, target: SignerStatus) -> str: ...
def move(subject: HasState | HasStatus, target: RequestState | TemplateState | SignerStatus) -> str:
    """Check the step from ``subject``'s state (a request's or a template's) or status (a
    signer's) to ``target`` and take it; return the step's name. Raises
    :class:`InvalidTransition` and changes nothing when the step is not declared."""
    if isinstance(target, RequestState):
        step = request_step(subject.state, target)  # type: ignore[union-attr, arg-type]
        subject.state = target  # type: ignore[union-attr]
    elif isinstance(target, TemplateState):
        current = subject.state  # type: ignore[union-attr]
        step = _step(TEMPLATE_TRANSITIONS, current, target, "A template")  # type: ignore[arg-type]
        subject.state = target  # type: ignore[union-attr]
    else:
        step = signer_step(subject.status, target)  # type: ignore[union-attr]
        subject.status = target  # type: ignore[union-attr]
    return step
