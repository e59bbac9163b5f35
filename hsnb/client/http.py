"""The HTTP layer under :class:`hsnb.client.Client`: where to talk to, the key, one exchange.

Where it talks to, in this order: the ``base_url`` argument; ``HSNB_BASE_URL`` or
``DROPBOX_SIGN_BASE_URL``; the :class:`~hsnb.emulator.Emulator` running in this process (the one
named ``"default"``, else the one started last); else ``https://api.hellosign.com/v3``.
Which key it sends (HTTP Basic, key as user name): the ``api_key`` argument; the running
emulator's key when it talks to that emulator; else ``DROPBOX_SIGN_API_KEY`` or
``HSNB_API_KEY``. The key never appears in a repr, an exception, a log line: the
``Authorization`` header is even removed from each ``response.request`` once the answer is in.
Answers of 400 and above become :class:`~hsnb.errors.ApiError` subclasses; a 429 is
retried after the reset time when the caller allows it.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from hsnb import environment
from hsnb.client.encoding import Upload
from hsnb.client.models import ListPage, RateLimit
from hsnb.client.waits import poll_delays, rate_limit_delay
from hsnb.errors import (
    ApiError,
    ApiTimeout,
    Conflict,
    ExceededRate,
    FilesNotReady,
    TransportError,
    api_error_class,
)

if TYPE_CHECKING:
    from hsnb.emulator import Emulator

logger = logging.getLogger("hsnb.client")

DEFAULT_BASE_URL = "https://api.hellosign.com/v3"
DEFAULT_TIMEOUT = 30.0
REDACTED = "<redacted>"


@dataclass(frozen=True)
class Exchange:
    """One HTTP exchange as the client made it (what observers such as a recorder see).

    ``json_body`` or ``form`` + ``uploads`` hold what was sent; ``response`` what came back
    (its request no longer carries the ``Authorization`` header).
    """

    method: str
    path: str
    params: Mapping[str, Any]
    json_body: Any
    form: Mapping[str, str]
    uploads: tuple[Upload, ...]
    response: requests.Response = field(repr=False)
    elapsed: float = 0.0


Observer = Callable[[Exchange], None]


class _KeyAuth(AuthBase):
    """HTTP Basic with the API key as user name and an empty password; a repr that hides it."""

    __slots__ = ("_key",)

    def __init__(self, key: str) -> None:
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return HTTPBasicAuth(self._key, "")(request)

    def __repr__(self) -> str:
        return "<api key>"

    def reveal(self) -> str:
        """The key itself (for hsnb internals that sign or verify callbacks; never print it)."""
        return self._key


def running_emulator(base_url: str | None = None) -> Emulator | None:
    """The emulator running in this process (serving ``base_url``, if given), or ``None``.

    Never imports the emulator: if :mod:`hsnb.emulator.server` was not imported, none runs.
    """
    server = sys.modules.get("hsnb.emulator.server")
    if server is None:
        return None
    emulators = [e for e in server.running_emulators() if e.running]
    if base_url is not None:
        wanted = base_url.rstrip("/")
        return next((e for e in emulators if e.api_url == wanted), None)
    named = [e for e in emulators if e.name == "default"]
    return (named or emulators or [None])[-1]


def resolve_base_url(base_url: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The API base URL (see the module docstring for the order), without a trailing slash."""
    if base_url:
        return base_url.rstrip("/")
    from_env = environment.base_url(env)
    if from_env:
        return from_env
    emulator = running_emulator()
    return emulator.api_url if emulator is not None else DEFAULT_BASE_URL


def resolve_api_key(
    api_key: str | None, base_url: str, env: Mapping[str, str] | None = None
) -> str | None:
    """The API key to send to ``base_url`` (see the module docstring), or ``None``."""
    if api_key:
        return api_key
    emulator = running_emulator(base_url)
    if emulator is not None:
        return emulator.api_key
    return environment.api_key(env)


class HttpSession:
    """Base URL, key, ``requests.Session``, observers, and one call with its error handling.

    See :class:`hsnb.client.Client` for the arguments; this class has no endpoints of its own
    except :meth:`request`, for any endpoint the client does not wrap.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        client_id: str | None = None,
        rate_limit_retries: int = 0,
        max_rate_limit_wait: float = 60.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = resolve_base_url(base_url)
        key = resolve_api_key(api_key, self.base_url)
        self._auth = _KeyAuth(key) if key else None
        emulator = running_emulator(self.base_url)
        self.client_id = (
            client_id
            or environment.client_id()
            or (emulator.client_id if emulator is not None else None)
        )
        self.timeout = timeout
        self.rate_limit_retries = rate_limit_retries
        self.max_rate_limit_wait = max_rate_limit_wait
        self.last_rate_limit: RateLimit | None = None
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = f"hsnb-client python-requests/{requests.__version__}"
        self._observers: list[Observer] = []
        self._sleep = time.sleep

    def __repr__(self) -> str:
        key = "<set>" if self._auth else "<missing>"
        return f"<hsnb.Client base_url={self.base_url!r} api_key={key}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session (idempotent)."""
        self._session.close()

    @property
    def has_api_key(self) -> bool:
        """Whether a key will be sent."""
        return self._auth is not None

    @property
    def is_emulator(self) -> bool:
        """Whether the base URL is an emulator running in this process."""
        return running_emulator(self.base_url) is not None

    def add_observer(self, observer: Observer) -> None:
        """Call ``observer(exchange)`` after every HTTP exchange (e.g. a recorder)."""
        self._observers.append(observer)

    def remove_observer(self, observer: Observer) -> None:
        """Stop calling ``observer``."""
        self._observers.remove(observer)

    # -- HTTP ------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Any other endpoint: ``path`` relative to the base URL (``"/template/list"``).

        Returns the decoded JSON answer (``{}`` when empty); raises like every other method.
        """
        return self._json(method, path, params=params, json=json)

    def _list_page(
        self,
        path: str,
        page: int,
        page_size: int,
        key: str = "signature_requests",
        parse: Callable[[Any], Any] | None = None,
        **params: Any,
    ) -> ListPage:
        """One page of a list endpoint (items under ``key``, each made by ``parse``)."""
        query = {"page": page, "page_size": page_size, **params}
        return ListPage.from_json(self._json("GET", path, params=query), key, parse)

    def _every(
        self, path: str, page_size: int, max_pages: int | None, **kwargs: Any
    ) -> Iterator[Any]:
        """Every item of a list endpoint, page after page, lazily (``max_pages`` bounds the
        calls); ``kwargs`` as for :meth:`_list_page`."""
        page = 1
        while max_pages is None or page <= max_pages:
            result = self._list_page(path, page, page_size, **kwargs)
            yield from result.items
            if not result.has_next:
                return
            page += 1

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._call(method, path, **kwargs)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            excerpt = self._scrub(response.text[:200])
            raise ApiError(
                f"the answer is not JSON: {excerpt!r}",
                status=response.status_code,
                method=method,
                path=path,
                response=response,
            ) from None

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: Sequence[tuple[str, tuple[str, bytes, str]]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One API call with the rate-limit retry; raises the matching :class:`ApiError`."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        uploads = tuple(Upload(name, body, ctype) for _, (name, body, ctype) in files or ())
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = self._session.request(
                    method,
                    self.base_url + path,
                    params=query,
                    json=json,
                    data=data,
                    files=files,
                    headers={"Accept": "application/json", **(headers or {})},
                    auth=self._auth,
                    timeout=self.timeout,
                )
            except requests.Timeout as exc:
                _forget_credentials(exc)
                message = f"{method} {path}: no answer within {self.timeout:g} s"
                raise ApiTimeout(self._scrub(message)) from exc
            except requests.RequestException as exc:
                _forget_credentials(exc)
                message = f"{method} {path}: {type(exc).__name__}: {exc}"
                raise TransportError(self._scrub(message)) from exc
            elapsed = time.monotonic() - started
            for sent in (*response.history, response):  # redirects keep their requests too
                sent.request.headers.pop("Authorization", None)
            self.last_rate_limit = RateLimit.from_headers(response.headers) or self.last_rate_limit
            logger.debug(
                "%s %s -> %s in %.0f ms", method, path, response.status_code, elapsed * 1000
            )
            exchange = Exchange(
                method, path, query, json, dict(data or {}), uploads, response, elapsed
            )
            for observer in self._observers:
                observer(exchange)
            if response.status_code < 400:
                return response
            error = self._error(method, path, response)
            if isinstance(error, ExceededRate) and attempt < self.rate_limit_retries:
                assert error.retry_after is not None
                if error.retry_after <= self.max_rate_limit_wait:
                    attempt += 1
                    logger.info("rate limited; retrying in %.1f s", error.retry_after)
                    self._sleep(error.retry_after)
                    continue
            raise error

    def _error(self, method: str, path: str, response: requests.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            name, message = error.get("error_name"), error.get("error_msg")
            error_path = error.get("error_path")
        else:
            name, error_path = None, None
            message = f"unexpected answer: {response.text[:200]!r}"
        hint = None
        if response.status_code == 401 and self._auth is None:
            hint = "no API key is set: pass api_key=... or set DROPBOX_SIGN_API_KEY"
        cls = api_error_class(response.status_code, name)
        exc = cls(
            self._scrub(str(message)) if message is not None else None,
            status=response.status_code,
            error_name=name,
            error_path=error_path,
            method=method,
            path=path,
            response=response,
            hint=hint,
        )
        if isinstance(exc, ExceededRate):
            rate = RateLimit.from_headers(response.headers)
            exc.limit = rate.limit if rate else None
            exc.remaining = rate.remaining if rate else None
            exc.reset_at = rate.reset_at if rate else None
            exc.retry_after = rate_limit_delay(response.headers, time.time())
        return exc

    def _scrub(self, text: str) -> str:
        if self._auth is None:
            return text
        return text.replace(self._auth.reveal(), REDACTED)

    def _poll_conflicts(self, fetch: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        for delay in poll_delays():
            try:
                return fetch()
            except Conflict as exc:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise FilesNotReady(
                        exc.error_msg,
                        status=exc.status,
                        error_name=exc.error_name,
                        method=exc.method,
                        path=exc.path,
                        response=exc.response,
                        hint=f"still not ready after {timeout:g} s; wait for "
                        "signature_request_downloadable with a Listener instead of polling",
                    ) from exc
                self._sleep(min(delay, remaining))
        raise AssertionError("unreachable")


def api_key_of(client: HttpSession) -> str | None:
    """The key ``client`` sends (for hsnb internals that sign or verify callbacks)."""
    return client._auth.reveal() if client._auth else None


def _forget_credentials(exc: requests.RequestException) -> None:
    """Drop the Authorization header from the request a requests exception keeps."""
    request = getattr(exc, "request", None)
    if request is not None and getattr(request, "headers", None) is not None:
        request.headers.pop("Authorization", None)
