"""Every error hsnb raises on purpose, in one shallow tree under :class:`HsnbError`.

Where a built-in exception carries the same meaning, the class mixes it in (``ValueError``,
``TimeoutError``, ``PermissionError``, ``LookupError``), so callers can catch by meaning
without importing hsnb.

API errors are one class per Dropbox Sign ``error_name``, named after it (``not_found`` ->
:class:`NotFound`, ``exceeded_rate`` -> :class:`ExceededRate`, ``deleted`` -> :class:`Deleted`),
shared by both sides: the emulator raises them and renders them with :meth:`ApiError.to_json`;
the client reads an error answer back into the same class with :func:`api_error_class`. So
``emulator.sign(...)`` and ``client.sign_url(...)`` raise the same :class:`Conflict` for the same
reason. The official error shape is ``{"error": {"error_msg", "error_name", "error_path"?}}``.

>>> error = NotFound("Not found.", method="GET", path="/signature_request/abc")
>>> str(error), error.to_json()
('404 not_found: Not found. (GET /signature_request/abc)', {'error': {'error_msg': 'Not found.', \
'error_name': 'not_found'}})
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests


class HsnbError(Exception):
    """Base class of every error hsnb raises on purpose."""


class PayloadError(HsnbError, ValueError):
    """A callback body or payload is malformed: not JSON, not an object, a field missing."""


class SignatureVerificationError(HsnbError, ValueError):
    """An event's ``event_hash`` does not match, or the event is outside the freshness window."""


class StoreError(HsnbError):
    """The event store could not open, read or commit (the listener then withholds its ACK)."""


class LogFormatError(HsnbError, ValueError):
    """A line of a logged callback file that is not a callback payload (the message names the
    file and the line)."""


class StoreBusyError(StoreError, TimeoutError):
    """A write waited longer than its bound for the store (locked or slow); nothing was stored."""


class ConfigError(HsnbError, ValueError):
    """A setting cannot be used as given: e.g. an API key variable that is set but empty."""


class NotDurableWarning(UserWarning):
    """Callbacks that look real are acknowledged into memory: a restart loses them."""


class ListenerError(HsnbError):
    """A listener could not start, or was used after it stopped."""


class EventTimeoutError(HsnbError, TimeoutError):
    """``wait_for`` ran out of time; the message says which events did arrive meanwhile."""


class EmulatorError(HsnbError):
    """The emulator could not start, or was used after it stopped."""


class StateFileError(EmulatorError, ValueError):
    """An emulator state file cannot be saved or loaded: not one, truncated, changed, of a newer
    format version, or needing the API key it was saved with. Nothing was changed."""


class LiveSetupError(HsnbError):
    """Going live cannot proceed; the message says what is missing, in plain words."""


class ReplayError(HsnbError):
    """A recording cannot be replayed (a file it uploaded is missing, a bad line)."""


class TriggerError(HsnbError, ValueError):
    """A callback cannot be built or re-sent as asked: a bad override, an unknown scenario,
    re-signing without a key, a time filter that is not a time."""


class AnswerRuleError(HsnbError, ValueError):
    """A scripted answer rule cannot be read (``hsnb listen --answer``, ``Listener.script``): an
    unknown key, a value out of range, a repeated key; the message names the rule and the part."""


class RelayError(HsnbError, ValueError):
    """A relay cannot be set up as asked: ``forward_to`` is not an http(s) URL with a host."""


class MockError(HsnbError):
    """``mock_dropbox_sign`` was used wrongly: started twice, stopped unstarted, none active."""


# -- calling the API -------------------------------------------------------------------------


class ClientError(HsnbError):
    """Base of the errors of an API call: an error answer, or no answer at all."""


class TransportError(ClientError, ConnectionError):
    """The API could not be reached: connection refused, DNS, TLS, a broken connection."""


class ApiTimeout(TransportError, TimeoutError):
    """The API did not answer within the client's ``timeout``."""


class ApiError(ClientError):
    """An error answer of the API (real or emulated): ``status``, ``error_name``, ``error_msg``.

    ``error_path`` names the offending parameter when the API says so. A client's error also
    carries the call's ``method`` and ``path``, the ``requests`` ``response`` (without the
    ``Authorization`` header) and maybe a ``hint``. ``str(error)`` reads
    ``404 not_found: Not found. (GET /signature_request/abc)``. Each subclass has its status,
    ``error_name`` and a default message as class attributes; an answer the client does not
    know keeps the status and name it came with.
    """

    status: int = 500
    error_name: str = "unknown"
    default_msg: str = "The API answered with an error."

    def __init__(
        self,
        error_msg: str | None = None,
        *,
        error_path: str | None = None,
        status: int | None = None,
        error_name: str | None = None,
        method: str = "",
        path: str = "",
        response: requests.Response | None = None,
        hint: str | None = None,
    ) -> None:
        self.status = type(self).status if status is None else status
        self.error_name = error_name or type(self).error_name
        self.error_msg = error_msg or self.default_msg
        self.error_path = error_path
        self.method = method
        self.path = path
        self.response = response
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        text = f"{self.status} {self.error_name}: {self.error_msg}"
        if self.error_path:
            text += f" [error_path: {self.error_path}]"
        if self.method or self.path:
            text += f" ({self.method} {self.path})"
        if self.hint:
            text += f"; {self.hint}"
        return text

    def to_json(self) -> dict[str, Any]:
        """The one rendering of an API error: ``{"error": {"error_msg", "error_name"[,
        "error_path"]}}``."""
        body: dict[str, Any] = {"error_msg": self.error_msg, "error_name": self.error_name}
        if self.error_path:
            body["error_path"] = self.error_path
        return {"error": body}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.error_name!r}, {self.error_msg!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        state = {
            "error_path": self.error_path,
            "status": self.status,
            "error_name": self.error_name,
            "method": self.method,
            "path": self.path,
            "hint": self.hint,
        }
        return (_rebuild, (type(self), self.error_msg, state))


def _rebuild(cls: type[ApiError], error_msg: str, state: dict[str, Any]) -> ApiError:
    return cls(error_msg, **state)


class BadRequest(ApiError, ValueError):
    """400 ``bad_request``: a parameter is missing or invalid (``error_path`` names it)."""

    status, error_name, default_msg = 400, "bad_request", "Bad request."


class InvalidReminder(BadRequest):
    """400 ``invalid_reminder``: embedded request, signer done, or reminded within the hour."""

    error_name, default_msg = "invalid_reminder", "This reminder is not valid."


class SignatureRequestCancelFailed(BadRequest):
    """400 ``signature_request_cancel_failed``: the request is not in a cancelable state."""

    error_name = "signature_request_cancel_failed"
    default_msg = "This signature request cannot be canceled."


class Unauthorized(ApiError, PermissionError):
    """401 ``unauthorized``: no API key, or one (or a token) the API does not know."""

    status, error_name = 401, "unauthorized"
    default_msg = "Unauthorized user. No credentials supplied."


class PaymentRequired(ApiError):
    """402 ``payment_required``: the account's plan does not allow this call."""

    status, error_name = 402, "payment_required"
    default_msg = "You must upgrade to make additional requests."


class Forbidden(ApiError, PermissionError):
    """403 ``forbidden``: the key may not touch this resource."""

    status, error_name = 403, "forbidden"
    default_msg = "You do not have access to this resource."


class NotFound(ApiError, LookupError):
    """404 ``not_found``: no such signature request, signature, app, template or path."""

    status, error_name, default_msg = 404, "not_found", "Not found."


class MethodNotSupported(ApiError):
    """405 ``method_not_supported``: the path exists but not for this HTTP method."""

    status, error_name = 405, "method_not_supported"
    default_msg = "This method is not supported for this endpoint."


class Conflict(ApiError):
    """409 ``conflict``: files still being prepared, a request that cannot be signed yet, ..."""

    status, error_name = 409, "conflict"
    default_msg = "An identical request is already being processed."


class FilesNotReady(Conflict, TimeoutError):
    """409 still, after the client waited for the files as long as the caller allowed."""


class Deleted(ApiError):
    """410 ``deleted``: the signature request was canceled or removed."""

    status, error_name, default_msg = 410, "deleted", "This resource has been deleted."


class UnprocessableEntity(ApiError, ValueError):
    """422 ``unprocessable_entity``: the request is well-formed but cannot be processed."""

    status, error_name = 422, "unprocessable_entity"
    default_msg = "This entity is unprocessable."


class ExceededRate(ApiError):
    """429 ``exceeded_rate``: over the rate limit.

    On the client, ``reset_at`` (Unix time) says until when, ``retry_after`` is its estimate
    of the seconds to wait (:func:`hsnb.client.waits.rate_limit_delay`), ``limit`` and
    ``remaining`` come from the ``X-RateLimit-*`` headers. In the emulator, ``rate`` is the
    window's state that the answer's headers are made from.
    """

    status, error_name, default_msg = 429, "exceeded_rate", "Too many requests."
    reset_at: float | None = None
    retry_after: float | None = None
    limit: int | None = None
    remaining: int | None = None
    rate: Any = None


class ServerError(ApiError):
    """5xx: the service failed or is down; retrying later may work."""

    status, error_name, default_msg = 500, "unknown", "An unknown error occurred."


class UnknownError(ServerError):
    """500 ``unknown``: the service failed (in the emulator: a bug, or fault injection)."""


class Maintenance(ServerError):
    """503 ``maintenance``: the service is down for maintenance."""

    status, error_name = 503, "maintenance"
    default_msg = "The service is down for maintenance."


#: Every API error class by its ``error_name`` (the emulator's fault injection names them so).
API_ERRORS_BY_NAME: dict[str, type[ApiError]] = {
    cls.error_name: cls
    for cls in (
        BadRequest,
        InvalidReminder,
        SignatureRequestCancelFailed,
        Unauthorized,
        PaymentRequired,
        Forbidden,
        NotFound,
        MethodNotSupported,
        Conflict,
        Deleted,
        UnprocessableEntity,
        ExceededRate,
        UnknownError,
        Maintenance,
    )
}
_BY_STATUS: dict[int, type[ApiError]] = {}
for _cls in API_ERRORS_BY_NAME.values():
    _BY_STATUS.setdefault(_cls.status, _cls)


def api_error_class(status: int, error_name: str | None = None) -> type[ApiError]:
    """The class for an error answer: by ``error_name`` when it is known for that status, else
    by status (5xx: :class:`ServerError`; no match: :class:`ApiError` itself).

    >>> api_error_class(400, "invalid_reminder").__name__, api_error_class(502).__name__
    ('InvalidReminder', 'ServerError')
    """
    by_name = API_ERRORS_BY_NAME.get(error_name or "")
    if by_name is not None and by_name.status == status:
        return by_name
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ApiError
