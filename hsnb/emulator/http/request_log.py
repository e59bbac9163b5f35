"""The request log's HTTP side: :class:`LoggedHandler` hands each finished request to it.

The log itself, and every rule of what is kept and what is redacted, is
:mod:`hsnb.emulator.service.api_log`; this module only reads a request and its handler
(:func:`raw_call`), and never keeps the ``Authorization`` header (only its scheme and the
credential, which the log turns into a fingerprint and cuts out of everything else).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import TYPE_CHECKING, Any

import tornado.web

from hsnb.emulator.service.api_log import RawCall, Upload
from hsnb.errors import ApiError

if TYPE_CHECKING:
    from hsnb.emulator.service.backend import Backend

logger = logging.getLogger(__name__)
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class LoggedHandler(tornado.web.RequestHandler):
    """A handler whose requests go into the emulator's request log once answered: call
    :meth:`start_log` from ``initialize``; ``send_json`` sets :attr:`answer`, ``log_exception``
    :attr:`failure`."""

    #: The ``plane`` of this handler's requests in the log (api, control, page, other).
    plane = "other"
    #: Whether this handler's requests go into the log (reading the log does not).
    logged = True

    def start_log(self, backend: Backend) -> None:
        """Note when (emulated) the request arrived, for ``backend``'s log."""
        self.log_backend = backend
        self.received_at = backend.clock.now()
        #: The JSON answered, and what failed.
        self.answer: Any = None
        self.failure: BaseException | None = None

    def on_finish(self) -> None:
        """Put the request and its answer, redacted, into the emulator's request log."""
        if not self.logged:
            return
        backend = self.log_backend
        try:
            backend.api_log.record(
                raw_call(self, self.plane, self.received_at), backend.known_secrets()
            )
        except Exception:  # the answer is sent: a logging bug must not surface as a 500
            logger.exception("could not log an emulator request")


def raw_call(handler: tornado.web.RequestHandler, plane: str, received_at: float) -> RawCall:
    """The request ``handler`` answered, as the request log takes it (unredacted)."""
    request = handler.request
    answer = getattr(handler, "answer", None)
    error_name, error_message = _error(answer, getattr(handler, "failure", None))
    auth, credential, hidden = authorization(request.headers.get("Authorization"))
    account = getattr(handler, "account", None)
    return RawCall(
        plane=plane,
        received_at=received_at,
        method=request.method or "",
        path=request.path,
        query=[
            (name, value.decode("utf-8", "replace"))
            for name, values in request.query_arguments.items()
            for value in values
        ],
        params=_params(request),
        uploads=[
            Upload(name, f.filename, f.content_type, f.body)
            for name, files in request.files.items()
            for f in files
        ],
        status=handler.get_status(),
        error_name=error_name,
        error_message=error_message,
        auth=auth,
        credential=credential,
        hidden=hidden,
        account_id=getattr(account, "account_id", None),
        answer=answer,
        duration=request.request_time(),
    )


def authorization(header: str | None) -> tuple[str | None, str | None, list[str]]:
    """``(scheme, credential, other secrets)`` of an ``Authorization`` header, never raising:
    Basic gives its user name (the API key) and its password as another secret, Bearer its
    token; an unreadable header only its scheme."""
    if not header:
        return None, None, []
    scheme, _, value = header.strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer":
        return scheme, value or None, []
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return scheme, None, [value]
        user, _, password = decoded.partition(":")
        return scheme, user or None, [password] if password else []
    return scheme, None, [value]


def _params(request: Any) -> Any:
    """The request's fields: a JSON body, or form fields by name (a list where one repeats)."""
    content_type = request.headers.get("Content-Type", "").lower()
    if content_type.startswith(_FORM_TYPES):
        fields: dict[str, Any] = {}
        for name, values in request.body_arguments.items():
            texts = [v.decode("utf-8", "replace") for v in values]
            fields[name] = texts[0] if len(texts) == 1 else texts
        return fields or None
    if not request.body:
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        kind = content_type.split(";")[0] or "no content type"
        return {"body": f"({len(request.body)} bytes of {kind}, not JSON: not kept)"}


def _error(answer: Any, failure: BaseException | None) -> tuple[str | None, str | None]:
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        error = answer["error"]
        return error.get("error_name"), error.get("error_msg")
    if isinstance(failure, ApiError):
        return failure.error_name, failure.error_msg
    return None, None
