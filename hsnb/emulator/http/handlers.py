"""HTTP handlers of the emulated API ``/v3``: parse, call one backend method, serialise.

Handlers hold no state of their own: the :class:`~hsnb.emulator.service.backend.Backend` and the
:class:`~hsnb.emulator.service.ratelimit.RateLimiter` come through ``initialize()``. Every error is
an :class:`~hsnb.errors.ApiError`, rendered by :meth:`BaseHandler.write_error` with
:meth:`~hsnb.errors.ApiError.to_json` (the only place error JSON is built). Nothing is logged
through tornado's loggers, so nothing prints into a notebook cell.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any

import tornado.web

from hsnb.emulator.http.request_log import LoggedHandler
from hsnb.emulator.service import parsing
from hsnb.emulator.service import serializers as views
from hsnb.emulator.service.backend import Backend
from hsnb.emulator.service.faults import API_ERRORS
from hsnb.emulator.service.ratelimit import RateLimiter, is_high_tier
from hsnb.errors import (
    API_ERRORS_BY_NAME,
    ApiError,
    BadRequest,
    NotFound,
    Unauthorized,
    UnknownError,
    api_error_class,
)

logger = logging.getLogger(__name__)
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")


def credentials(authorization: str | None) -> tuple[str | None, str | None]:
    """``(api_key, bearer_token)`` from an ``Authorization`` header (either may be ``None``).

    Basic auth carries the API key as the user name (the password is ignored, normally empty).
    """
    if not authorization:
        return None, None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return None, value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except ValueError:  # binascii.Error, non-ASCII text, UnicodeDecodeError
            raise Unauthorized("Malformed Basic authorization header.") from None
        user = decoded.partition(":")[0]
        return (user or None), None
    raise Unauthorized(f"Unsupported authorization scheme {scheme!r}.")


class BaseHandler(LoggedHandler):
    """Error rendering, JSON output and the request log, shared by every emulator handler."""

    def initialize(self, backend: Backend, limiter: RateLimiter) -> None:
        self.backend = backend
        self.limiter = limiter
        self.start_log(backend)

    def send_json(self, body: Any, status: int = 200) -> None:
        """Finish with ``body`` as JSON."""
        self.answer = body
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, separators=(",", ":")))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Render any failure as the official error JSON."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            error = exc
        elif isinstance(exc, tornado.web.HTTPError):
            error = api_error_class(exc.status_code)(exc.log_message or exc.reason)
        elif status_code < 500:
            error = api_error_class(status_code)(self._reason)
        else:
            error = UnknownError(f"Emulator error: {type(exc).__name__}: {exc}")
        rate = getattr(error, "rate", None) or getattr(self, "rate_status", None)
        if rate is not None:
            for name, value in rate.headers().items():
                self.set_header(name, value)
        self.clear_header("Content-Disposition")
        if error.status == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        self.send_json(error.to_json(), error.status)

    def allowed_methods(self) -> list[str]:
        """The methods this handler answers (its ``Allow`` header on a 405)."""
        return [
            m
            for m in _METHODS
            if m in self.SUPPORTED_METHODS
            and getattr(type(self), m.lower()) is not getattr(tornado.web.RequestHandler, m.lower())
        ]

    def body_params(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The request body (JSON, bracket form or SDK form) normalised against ``schema``."""
        content_type = self.request.headers.get("Content-Type", "").lower()
        if content_type.startswith(_FORM_TYPES):
            fields = [
                (name, value.decode("utf-8", "replace"))
                for name, values in self.request.body_arguments.items()
                for value in values
            ]
            files = [
                (name, parsing.UploadedFile(f.filename, f.body, f.content_type))
                for name, uploads in self.request.files.items()
                for f in uploads
            ]
            raw = parsing.parse_form(fields, files)
        else:
            raw = parsing.parse_json(self.request.body)
        return parsing.normalise(raw, schema)

    def query_params(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The query string normalised against ``schema``."""
        fields = [
            (name, value.decode("utf-8", "replace"))
            for name, values in self.request.query_arguments.items()
            for value in values
        ]
        return parsing.normalise(parsing.parse_form(fields), schema)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """API errors are answers, not incidents; anything else goes to the hsnb logger only."""
        self.failure = value
        if not isinstance(value, (ApiError, tornado.web.HTTPError)):
            logger.debug("emulator handler failed", exc_info=(typ, value, tb))


class ApiHandler(BaseHandler):
    """A ``/v3`` endpoint: authenticate, count against the rate limit, apply API faults
    (a ``delay`` fault waits on the loop, so other calls are answered meanwhile)."""

    plane = "api"

    async def prepare(self) -> None:
        api_key, bearer = credentials(self.request.headers.get("Authorization"))
        self.account = self.backend.authenticate(api_key, bearer)
        status = self.limiter.hit(self.account.account_id)
        self.set_rate_headers(status)
        if is_high_tier(self.request.path):
            self.set_rate_headers(self.limiter.hit_high_tier(self.account.account_id))
        slow = self.backend.faults.take("api", self.request.path, ("delay",))
        if slow is not None:
            await asyncio.sleep(slow.seconds)
        fault = self.backend.faults.take("api", self.request.path, API_ERRORS)
        if fault is not None:
            raise API_ERRORS_BY_NAME[fault.action]("Injected fault.")

    def set_rate_headers(self, status: Any) -> None:
        """Set the three rate-limit headers; an error answer repeats them (the call counted)."""
        self.rate_status = status
        for name, value in status.headers().items():
            self.set_header(name, value)

    def send_request(self, sr: Any) -> None:
        """Finish with a ``SignatureRequestGetResponse``."""
        self.send_json(views.signature_request_response(sr, self.backend.urls))


class CreateHandler(ApiHandler):
    """``POST /signature_request/create_embedded`` and ``/send`` (``embedded`` from the route)."""

    def initialize(self, backend: Backend, limiter: RateLimiter, embedded: bool) -> None:
        super().initialize(backend, limiter)
        self.embedded = embedded

    def post(self) -> None:
        params = self.body_params(parsing.SIGNATURE_REQUEST)
        if params.get("test_mode"):
            self.set_rate_headers(self.limiter.hit_test_mode(self.account.account_id))
        sr = self.backend.create_signature_request(self.account, params, embedded=self.embedded)
        self.send_request(sr)


class CreateFromTemplateHandler(CreateHandler):
    """``POST /signature_request/send_with_template`` and ``/create_embedded_with_template``."""

    def post(self) -> None:
        params = self.body_params(parsing.FROM_TEMPLATE)
        if params.get("test_mode"):
            self.set_rate_headers(self.limiter.hit_test_mode(self.account.account_id))
        sr = self.backend.create_from_template(self.account, params, embedded=self.embedded)
        self.send_request(sr)


class TemplateCreateHandler(ApiHandler):
    """``POST /template/create``: ``{"template": {"template_id"}}`` now, the event later."""

    def post(self) -> None:
        params = self.body_params(parsing.TEMPLATE_CREATE)
        template = self.backend.create_template(self.account, params)
        self.send_json({"template": {"template_id": template.template_id}})


class TemplateHandler(ApiHandler):
    """``GET /template/{id}``."""

    def get(self, template_id: str) -> None:
        template = self.backend.get_template(self.account, template_id)
        self.send_json({"template": views.template_json(template, self.backend.account)})


class TemplateListHandler(ApiHandler):
    """``GET /template/list``."""

    def get(self) -> None:
        query = self.query_params(parsing.LIST_QUERY)
        page, page_size = query.get("page", 1), query.get("page_size", 20)
        found, total = self.backend.list_templates(
            self.account, page=page, page_size=page_size, query=query.get("query")
        )
        body = views.template_list_response(found, self.backend.account, page, page_size, total)
        self.send_json(body)


class TemplateDeleteHandler(ApiHandler):
    """``POST /template/delete/{id}``: an empty 200."""

    def post(self, template_id: str) -> None:
        self.backend.delete_template(self.account, template_id)
        self.send_json({})


class SignatureRequestHandler(ApiHandler):
    """``GET /signature_request/{id}``."""

    def get(self, request_id: str) -> None:
        self.send_request(self.backend.get_signature_request(self.account, request_id))


class ListHandler(ApiHandler):
    """``GET /signature_request/list``."""

    def get(self) -> None:
        query = self.query_params(parsing.LIST_QUERY)
        page, page_size = query.get("page", 1), query.get("page_size", 20)
        found, total = self.backend.list_signature_requests(
            self.account,
            page=page,
            page_size=page_size,
            query=query.get("query"),
            account_id=query.get("account_id"),
        )
        self.send_json(views.list_response(found, page, page_size, total, self.backend.urls))


class FilesHandler(ApiHandler):
    """``GET /signature_request/files/{id}?file_type=pdf|zip``: the current copy's bytes."""

    def get(self, request_id: str) -> None:
        file_type = self.get_query_argument("file_type", "pdf")
        data, content_type, filename = self.backend.files(self.account, request_id, file_type)
        self.set_header("Content-Type", content_type)
        self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.finish(data)


class FilesDataUriHandler(ApiHandler):
    """``GET /signature_request/files_as_data_uri/{id}``."""

    def get(self, request_id: str) -> None:
        self.send_json({"data_uri": self.backend.files_data_uri(self.account, request_id)})


class FilesFileUrlHandler(ApiHandler):
    """``GET /signature_request/files_as_file_url/{id}?force_download=0|1``."""

    def get(self, request_id: str) -> None:
        force = parsing.parse_bool(self.get_query_argument("force_download", "1"), "force_download")
        link = self.backend.files_link(self.account, request_id, force_download=force)
        url = self.backend.urls.file_link(link.token)
        self.send_json({"file_url": url, "expires_at": link.expires_at})


class CancelHandler(ApiHandler):
    """``POST /signature_request/cancel/{id}``: an empty 200; the event follows."""

    def post(self, request_id: str) -> None:
        self.backend.cancel(self.account, request_id)
        self.send_json({})


class RemindHandler(ApiHandler):
    """``POST /signature_request/remind/{id}``."""

    def post(self, request_id: str) -> None:
        params = self.body_params(parsing.REMIND)
        sr = self.backend.remind(self.account, request_id, params.get("email_address"))
        self.send_request(sr)


class SignUrlHandler(ApiHandler):
    """``GET /embedded/sign_url/{signature_id}``."""

    def get(self, signature_id: str) -> None:
        link = self.backend.sign_url(self.account, signature_id)
        url = self.backend.urls.sign(signature_id, link.token)
        self.send_json(views.sign_url_response(url, link.expires_at))


class NotEmulatedHandler(ApiHandler):
    """An operation of the spec the emulator does not emulate: 400 ``bad_request`` saying so
    (see :mod:`hsnb.emulator.service.operations`), after authentication as any call; a method
    the spec does not give the path answers 405 with ``Allow``."""

    def initialize(
        self, backend: Backend, limiter: RateLimiter, methods: tuple[str, ...], path: str
    ) -> None:
        super().initialize(backend, limiter)
        self.SUPPORTED_METHODS = methods  # type: ignore[misc]
        self.operation = path

    def _refuse(self, *args: Any) -> None:
        raise BadRequest(
            f"{self.request.method} {self.operation} is not emulated by the hsnb emulator (see"
            " the list of emulated operations in hsnb.emulator.service.operations)."
        )

    get = post = put = delete = patch = _refuse


class UnknownApiHandler(ApiHandler):
    """Any other path under ``/v3``: 404 ``not_found`` (after authentication, as the API does)."""

    SUPPORTED_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")

    async def prepare(self) -> None:
        await super().prepare()
        raise NotFound("Not found.")


class NotFoundHandler(BaseHandler):
    """Paths outside the API and the control plane: 404 ``not_found``."""

    def prepare(self) -> None:
        raise NotFound("Not found.")
