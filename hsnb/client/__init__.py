"""``hsnb.client``: one client for the built-in emulator and the real Dropbox Sign API.

>>> from hsnb.client import Client, NotFound
>>> from hsnb.emulator import Emulator
>>> with Emulator(name="client-doctest") as emulator, Client(base_url=emulator.api_url) as api:
...     try:
...         api.get("0" * 40)
...     except NotFound as error:
...         print(error.status, error.error_name)
404 not_found

Where the client talks to and which key it sends: see :mod:`hsnb.client.http`. Results are
small frozen dataclasses (:mod:`hsnb.client.models`), each with the JSON in ``.raw``; errors
are one tree under :class:`ApiError` (:mod:`hsnb.errors`), all of them
:class:`hsnb.errors.HsnbError`.
"""

from __future__ import annotations

from hsnb.client.client import Client
from hsnb.client.http import DEFAULT_BASE_URL, Exchange
from hsnb.client.models import (
    Account,
    ApiApp,
    EmbeddedSignUrl,
    FileUrl,
    ListPage,
    RateLimit,
    Signature,
    SignatureRequest,
    Template,
)
from hsnb.errors import (
    ApiError,
    ApiTimeout,
    BadRequest,
    ClientError,
    Conflict,
    Deleted,
    ExceededRate,
    FilesNotReady,
    Forbidden,
    InvalidReminder,
    Maintenance,
    MethodNotSupported,
    NotFound,
    PaymentRequired,
    ServerError,
    SignatureRequestCancelFailed,
    TransportError,
    Unauthorized,
    UnknownError,
    UnprocessableEntity,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "Account",
    "ApiApp",
    "ApiError",
    "ApiTimeout",
    "BadRequest",
    "Client",
    "ClientError",
    "Conflict",
    "Deleted",
    "EmbeddedSignUrl",
    "ExceededRate",
    "Exchange",
    "FileUrl",
    "FilesNotReady",
    "Forbidden",
    "InvalidReminder",
    "ListPage",
    "Maintenance",
    "MethodNotSupported",
    "NotFound",
    "PaymentRequired",
    "RateLimit",
    "ServerError",
    "Signature",
    "SignatureRequest",
    "SignatureRequestCancelFailed",
    "Template",
    "TransportError",
    "Unauthorized",
    "UnknownError",
    "UnprocessableEntity",
]
