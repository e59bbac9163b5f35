"""The client's exception tree: one :class:`ApiError` per HTTP status the API answers with.

Every error the API answers is rendered from the official shape
``{"error": {"error_msg": ..., "error_name": ..., "error_path"?: ...}}`` into an
:class:`ApiError` subclass chosen by HTTP status, carrying ``status``, ``error_name``,
``error_msg``, ``error_path``, the method and path of the call and the ``requests`` response.
The classes mix in built-ins where the meaning matches (``ValueError`` for a bad request,
``PermissionError`` for 401/403, ``LookupError`` for 404), so callers can catch by meaning.
No message, repr or attribute carries the API key: the ``Authorization`` header is removed
from ``response.request`` before an error is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from hsnb.errors import HsnbError

if TYPE_CHECKING:
    import requests


class ClientError(HsnbError):
    """Base class of everything :class:`hsnb.client.Client` raises on purpose."""


class TransportError(ClientError, ConnectionError):
    """The API could not be reached: connection refused, DNS, TLS, a broken connection."""


class ApiTimeout(TransportError, TimeoutError):
    """The API did not answer within the client's ``timeout``."""


class ApiError(ClientError):
    """The API answered with an error; ``status``, ``error_name``, ``error_msg``, ``response``.

    ``error_path`` names the offending parameter when the API says so. ``str(error)`` reads
    ``404 not_found: Not found. (GET /signature_request/abc)``.
    """

    status: int
    default_name: ClassVar[str] = "unknown"

    def __init__(
        self,
        status: int,
        error_name: str | None,
        error_msg: str | None,
        *,
        error_path: str | None = None,
        method: str = "",
        path: str = "",
        response: requests.Response | None = None,
        hint: str | None = None,
    ) -> None:
        self.status = status
        self.error_name = error_name or self.default_name
        self.error_msg = error_msg or ""
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

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.error_name!r}, {self.error_msg!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        args = (self.status, self.error_name, self.error_msg)
        state = {"error_path": self.error_path, "method": self.method, "path": self.path}
        return (_rebuild, (type(self), args, state))


def _rebuild(cls: type[ApiError], args: tuple[Any, ...], state: dict[str, Any]) -> ApiError:
    return cls(*args, **state)


class BadRequest(ApiError, ValueError):
    """400: a parameter is missing or invalid (``error_path`` names it)."""

    default_name = "bad_request"


class Unauthorized(ApiError, PermissionError):
    """401: no API key, or one the API does not know."""

    default_name = "unauthorized"


class PaymentRequired(ApiError):
    """402: the account's plan does not allow this call."""

    default_name = "payment_required"


class Forbidden(ApiError, PermissionError):
    """403: the key may not touch this resource (or, in old docs, a rate limit)."""

    default_name = "forbidden"


class NotFound(ApiError, LookupError):
    """404: no such signature request, signature, app or path."""

    default_name = "not_found"


class MethodNotSupported(ApiError):
    """405: the path exists but not for this HTTP method."""

    default_name = "method_not_supported"


class Conflict(ApiError):
    """409: files still being prepared, a request that cannot be signed yet, ..."""

    default_name = "conflict"


class FilesNotReady(Conflict, TimeoutError):
    """409 still, after waiting for the files as long as the caller allowed."""


class Gone(ApiError):
    """410 ``deleted``: the signature request was canceled or removed."""

    default_name = "deleted"


class UnprocessableEntity(ApiError, ValueError):
    """422: the request is well-formed but cannot be processed."""

    default_name = "unprocessable_entity"


class RateLimited(ApiError):
    """429 ``exceeded_rate``: over the rate limit; ``reset_at`` (Unix time) says until when.

    ``retry_after`` is the client's estimate of the seconds to wait (see
    :func:`hsnb.client.transport.rate_limit_delay`); ``limit`` and ``remaining`` come from the
    ``X-RateLimit-*`` headers when present.
    """

    default_name = "exceeded_rate"
    reset_at: float | None = None
    retry_after: float | None = None
    limit: int | None = None
    remaining: int | None = None


class ServerError(ApiError):
    """5xx: the service failed or is down for maintenance; retrying later may work."""

    default_name = "unknown"


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    402: PaymentRequired,
    403: Forbidden,
    404: NotFound,
    405: MethodNotSupported,
    409: Conflict,
    410: Gone,
    422: UnprocessableEntity,
    429: RateLimited,
}


def error_class(status: int) -> type[ApiError]:
    """The :class:`ApiError` subclass for an HTTP status (``ApiError`` itself if none fits)."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return ApiError


__all__ = [
    "ApiError",
    "ApiTimeout",
    "BadRequest",
    "ClientError",
    "Conflict",
    "FilesNotReady",
    "Forbidden",
    "Gone",
    "MethodNotSupported",
    "NotFound",
    "PaymentRequired",
    "RateLimited",
    "ServerError",
    "TransportError",
    "UnprocessableEntity",
    "Unauthorized",
    "error_class",
]
