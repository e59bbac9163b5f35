"""The emulator's API errors: one class per Dropbox Sign ``error_name``, rendered in one place.

Every error the emulated API answers is an :class:`ApiError` subclass carrying its HTTP status,
its ``error_name`` and a default ``error_msg`` (taken from the spec's examples where it has
one). :func:`error_body` is the only function that builds the error JSON
``{"error": {"error_msg": ..., "error_name": ..., "error_path"?: ...}}``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hsnb.errors import HsnbError


class ApiError(HsnbError):
    """An error the emulated API answers with; ``status``, ``error_name``, ``error_msg``."""

    status: ClassVar[int] = 400
    error_name: ClassVar[str] = "bad_request"
    default_msg: ClassVar[str] = "Bad request."

    def __init__(self, error_msg: str | None = None, *, error_path: str | None = None) -> None:
        self.error_msg = error_msg or self.default_msg
        self.error_path = error_path
        super().__init__(self.error_msg)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.error_msg!r})"


class BadRequest(ApiError):
    """400 ``bad_request``: a parameter is missing or invalid (``error_path`` names it)."""

    status, error_name, default_msg = 400, "bad_request", "Bad request."


class Unauthorized(ApiError):
    """401 ``unauthorized``: no credentials, or an API key / token the emulator does not know."""

    status, error_name = 401, "unauthorized"
    default_msg = "Unauthorized user. No credentials supplied."


class PaymentRequired(ApiError):
    """402 ``payment_required`` (only by fault injection)."""

    status, error_name = 402, "payment_required"
    default_msg = "You must upgrade to make additional requests."


class Forbidden(ApiError):
    """403 ``forbidden``: the resource belongs to another account."""

    status, error_name = 403, "forbidden"
    default_msg = "You do not have access to this resource."


class NotFound(ApiError):
    """404 ``not_found``: no such path, signature request, signature or app."""

    status, error_name, default_msg = 404, "not_found", "Not found."


class MethodNotSupported(ApiError):
    """405 ``method_not_supported``: the path exists but not for this HTTP method."""

    status, error_name = 405, "method_not_supported"
    default_msg = "This method is not supported for this endpoint."


class Conflict(ApiError):
    """409 ``conflict``: files being prepared, a request that cannot be signed yet, ..."""

    status, error_name = 409, "conflict"
    default_msg = "An identical request is already being processed."


class Deleted(ApiError):
    """410 ``deleted``: the signature request was canceled."""

    status, error_name, default_msg = 410, "deleted", "This resource has been deleted."


class UnprocessableEntity(ApiError):
    """422 ``unprocessable_entity`` (only by fault injection)."""

    status, error_name = 422, "unprocessable_entity"
    default_msg = "This entity is unprocessable."


class ExceededRate(ApiError):
    """429 ``exceeded_rate``: over the per-account rate limit (``rate``: the window's state)."""

    status, error_name, default_msg = 429, "exceeded_rate", "Too many requests."
    rate: Any = None


class InvalidReminder(ApiError):
    """400 ``invalid_reminder``: embedded request, signer done, or reminded within the hour."""

    status, error_name, default_msg = 400, "invalid_reminder", "This reminder is not valid."


class CancelFailed(ApiError):
    """400 ``signature_request_cancel_failed``: the request is not in a cancelable state."""

    status, error_name = 400, "signature_request_cancel_failed"
    default_msg = "This signature request cannot be canceled."


class Maintenance(ApiError):
    """503 ``maintenance`` (only by fault injection)."""

    status, error_name = 503, "maintenance"
    default_msg = "The service is down for maintenance."


class UnknownError(ApiError):
    """500 ``unknown``: an emulator bug, or fault injection."""

    status, error_name, default_msg = 500, "unknown", "An unknown error occurred."


#: Every error class by ``error_name`` (for fault injection and the tests).
ERRORS_BY_NAME: dict[str, type[ApiError]] = {
    cls.error_name: cls
    for cls in (
        BadRequest,
        Unauthorized,
        PaymentRequired,
        Forbidden,
        NotFound,
        MethodNotSupported,
        Conflict,
        Deleted,
        UnprocessableEntity,
        ExceededRate,
        InvalidReminder,
        CancelFailed,
        Maintenance,
        UnknownError,
    )
}


def error_body(error: ApiError) -> dict[str, Any]:
    """The one rendering of an error: ``{"error": {"error_msg", "error_name"[, "error_path"]}}``."""
    body: dict[str, Any] = {"error_msg": error.error_msg, "error_name": error.error_name}
    if error.error_path:
        body["error_path"] = error.error_path
    return {"error": body}


def error_for_status(status: int, message: str | None = None) -> ApiError:
    """The API error that stands for a bare HTTP status (e.g. a routing 404 or 405)."""
    for cls in ERRORS_BY_NAME.values():
        if cls.status == status and cls not in (InvalidReminder, CancelFailed):
            return cls(message)
    return UnknownError(message)
