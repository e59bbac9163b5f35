"""``Client``: the Dropbox Sign API v3 over one ``requests.Session``, emulator or real.

Where it talks to, in this order: the ``base_url`` argument; ``HSNB_BASE_URL`` or
``DROPBOX_SIGN_BASE_URL``; the :class:`~hsnb.emulator.Emulator` running in this process (the one
named ``"default"``, else the one started last); else ``https://api.hellosign.com/v3``.
Which key it sends (HTTP Basic, key as user name): the ``api_key`` argument; the running
emulator's key when it talks to that emulator; else ``DROPBOX_SIGN_API_KEY`` or
``HSNB_API_KEY``. The key never appears in a repr, an exception, a log line: the
``Authorization`` header is even removed from each ``response.request`` once the answer is in.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from hsnb.client.encoding import FileSpec, SignerSpec, Upload, request_body, signer_dicts
from hsnb.client.encoding import split_files as _split_files
from hsnb.client.errors import (
    ApiError,
    ApiTimeout,
    Conflict,
    FilesNotReady,
    RateLimited,
    TransportError,
    error_class,
)
from hsnb.client.models import (
    Account,
    ApiApp,
    EmbeddedSignUrl,
    FileUrl,
    ListPage,
    RateLimit,
    SignatureRequest,
)

if TYPE_CHECKING:
    from hsnb.emulator import Emulator

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.hellosign.com/v3"
BASE_URL_VARIABLES = ("HSNB_BASE_URL", "DROPBOX_SIGN_BASE_URL")
API_KEY_VARIABLES = ("DROPBOX_SIGN_API_KEY", "HSNB_API_KEY")
CLIENT_ID_VARIABLES = ("DROPBOX_SIGN_CLIENT_ID", "HSNB_CLIENT_ID")
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
    env = os.environ if env is None else env
    if base_url:
        return base_url.rstrip("/")
    for name in BASE_URL_VARIABLES:
        if env.get(name):
            return env[name].rstrip("/")
    emulator = running_emulator()
    return emulator.api_url if emulator is not None else DEFAULT_BASE_URL


def resolve_api_key(
    api_key: str | None, base_url: str, env: Mapping[str, str] | None = None
) -> str | None:
    """The API key to send to ``base_url`` (see the module docstring), or ``None``."""
    env = os.environ if env is None else env
    if api_key:
        return api_key
    emulator = running_emulator(base_url)
    if emulator is not None:
        return emulator.api_key
    return next((env[name] for name in API_KEY_VARIABLES if env.get(name)), None)


def rate_limit_delay(headers: Mapping[str, str], now: float, margin: float = 1.0) -> float:
    """Seconds to wait after a 429: ``Retry-After`` if sent, else until ``X-Ratelimit-Reset``.

    The reset is a whole Unix second, so ``margin`` is added; a reset already past (or a server
    clock behind ours) gives just the margin. A missing or unreadable header gives the margin.
    """
    retry_after = _number(headers.get("Retry-After"))
    if retry_after is not None:
        return max(retry_after, 0.0)
    reset = _number(headers.get("X-Ratelimit-Reset"))
    if reset is None:
        return margin
    return max(reset - now, 0.0) + margin


def poll_delays(
    initial: float = 0.25, maximum: float = 5.0, factor: float = 2.0
) -> Iterator[float]:
    """Backoff for polling: ``initial``, then times ``factor`` each step, capped at ``maximum``."""
    delay = initial
    while True:
        yield delay
        delay = min(delay * factor, maximum)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class Client:
    """The Dropbox Sign API v3, the same code for the emulator and the real service.

    >>> from hsnb.client import Client
    >>> Client(api_key="k", base_url="http://127.0.0.1:1/v3")
    <hsnb.Client base_url='http://127.0.0.1:1/v3' api_key=<set>>

    ``timeout``: seconds per HTTP request. ``client_id``: the API app used by
    :meth:`create_embedded` (default: ``DROPBOX_SIGN_CLIENT_ID``/``HSNB_CLIENT_ID``, or the
    running emulator's app). ``rate_limit_retries``: how many times a 429 is retried after the
    reset time, if that is at most ``max_rate_limit_wait`` seconds away (default: never).
    Errors are :class:`~hsnb.client.errors.ApiError` subclasses; network failures
    :class:`~hsnb.client.errors.TransportError`.
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
            or next((os.environ[n] for n in CLIENT_ID_VARIABLES if os.environ.get(n)), None)
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

    def __enter__(self) -> Client:
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

    # -- signature requests --------------------------------------------------------------

    def create_embedded(
        self,
        files: FileSpec | Sequence[FileSpec],
        signers: Sequence[SignerSpec],
        *,
        client_id: str | None = None,
        test_mode: bool = True,
        use_text_tags: bool = False,
        metadata: Mapping[str, Any] | None = None,
        title: str | None = None,
        subject: str | None = None,
        message: str | None = None,
        **params: Any,
    ) -> SignatureRequest:
        """``POST /signature_request/create_embedded``: a request to sign in an iFrame.

        ``files``: paths, bytes, file objects, ``(name, bytes)`` pairs, or ``https://`` URLs
        (sent as ``file_urls``). ``signers``: dicts (``name``, ``email_address``, ``order``,
        ...) or ``(name, email)`` pairs. ``test_mode`` defaults to true here (not legally
        binding, free). Other API parameters pass through ``params``. The 200 means the request
        was accepted; wait for ``signature_request_sent`` before asking for a sign URL.
        """
        return self._create(
            "/signature_request/create_embedded",
            files,
            signers,
            client_id=client_id or self.client_id,
            test_mode=test_mode,
            use_text_tags=use_text_tags,
            metadata=dict(metadata) if metadata else None,
            title=title,
            subject=subject,
            message=message,
            **params,
        )

    def send(
        self,
        files: FileSpec | Sequence[FileSpec],
        signers: Sequence[SignerSpec],
        *,
        test_mode: bool = True,
        use_text_tags: bool = False,
        metadata: Mapping[str, Any] | None = None,
        title: str | None = None,
        subject: str | None = None,
        message: str | None = None,
        **params: Any,
    ) -> SignatureRequest:
        """``POST /signature_request/send``: signers get an e-mail.

        Arguments as :meth:`create_embedded`; pass ``client_id=`` to route the events to that
        app's callback URL too.
        """
        return self._create(
            "/signature_request/send",
            files,
            signers,
            test_mode=test_mode,
            use_text_tags=use_text_tags,
            metadata=dict(metadata) if metadata else None,
            title=title,
            subject=subject,
            message=message,
            **params,
        )

    def _create(
        self, path: str, files: Any, signers: Sequence[SignerSpec], **params: Any
    ) -> SignatureRequest:
        uploads, urls = _split_files(files)
        body = {**params, "signers": signer_dicts(signers)}
        if urls:
            body["file_urls"] = urls
        data = self._json("POST", path, **request_body(body, uploads))
        return SignatureRequest.from_json(data["signature_request"], data.get("warnings"))

    def get(self, signature_request_id: str) -> SignatureRequest:
        """``GET /signature_request/{id}`` (410 :class:`Gone` once canceled)."""
        data = self._json("GET", f"/signature_request/{signature_request_id}")
        return SignatureRequest.from_json(data["signature_request"], data.get("warnings"))

    def list_page(
        self,
        page: int = 1,
        page_size: int = 20,
        *,
        query: str | None = None,
        account_id: str | None = None,
    ) -> ListPage:
        """``GET /signature_request/list``: one page (``page_size`` 1-100), newest first."""
        params = {"page": page, "page_size": page_size, "query": query, "account_id": account_id}
        return ListPage.from_json(self._json("GET", "/signature_request/list", params=params))

    def list(
        self,
        *,
        query: str | None = None,
        page_size: int = 100,
        account_id: str | None = None,
        max_pages: int | None = None,
    ) -> Iterator[SignatureRequest]:
        """Every signature request, page after page (lazily; ``max_pages`` bounds the calls)."""
        page = 1
        while max_pages is None or page <= max_pages:
            result = self.list_page(page, page_size, query=query, account_id=account_id)
            yield from result.items
            if not result.has_next:
                return
            page += 1

    def sign_url(self, signature_id: str) -> EmbeddedSignUrl:
        """``GET /embedded/sign_url/{signature_id}``: a one-time URL for that signer.

        409 :class:`Conflict` ("This request cannot be signed yet") before
        ``signature_request_sent``.
        """
        return EmbeddedSignUrl.from_json(self._json("GET", f"/embedded/sign_url/{signature_id}"))

    def cancel(self, signature_request_id: str) -> None:
        """``POST /signature_request/cancel/{id}``; ``signature_request_canceled`` follows."""
        self._json("POST", f"/signature_request/cancel/{signature_request_id}")

    def remind(
        self, signature_request_id: str, email_address: str, *, name: str | None = None
    ) -> SignatureRequest:
        """``POST /signature_request/remind/{id}`` (not for embedded requests: 400)."""
        body = {"email_address": email_address, "name": name}
        data = self._json(
            "POST",
            f"/signature_request/remind/{signature_request_id}",
            json={k: v for k, v in body.items() if v is not None},
        )
        return SignatureRequest.from_json(data["signature_request"], data.get("warnings"))

    # -- files ---------------------------------------------------------------------------

    def files(
        self,
        signature_request_id: str,
        *,
        file_type: str = "pdf",
        path: str | os.PathLike[str] | None = None,
        wait: bool = False,
        timeout: float = 60.0,
    ) -> bytes | Path:
        """``GET /signature_request/files/{id}``: the current documents (``pdf`` or ``zip``).

        Returns the bytes, or writes them to ``path`` (a directory gets ``<id>.<file_type>``)
        and returns the path. While files are prepared the API answers 409 :class:`Conflict`;
        ``wait=True`` polls with backoff up to ``timeout`` seconds, then raises
        :class:`FilesNotReady`. Better than polling: wait for ``signature_request_downloadable``
        with a :class:`~hsnb.listener.Listener`, then call this once.
        """

        def fetch() -> bytes:
            response = self._call(
                "GET",
                f"/signature_request/files/{signature_request_id}",
                params={"file_type": file_type},
                headers={"Accept": "application/pdf, application/zip, application/json"},
            )
            return response.content

        data = self._poll_conflicts(fetch, timeout) if wait else fetch()
        if path is None:
            return data
        target = Path(path)
        if target.is_dir():
            target = target / f"{signature_request_id}.{file_type}"
        target.write_bytes(data)
        return target

    def wait_for_files(
        self, signature_request_id: str, *, file_type: str = "pdf", timeout: float = 60.0
    ) -> bytes:
        """The files, polling 409 answers with backoff for up to ``timeout`` seconds."""
        data = self.files(signature_request_id, file_type=file_type, wait=True, timeout=timeout)
        assert isinstance(data, bytes)
        return data

    def files_as_data_uri(
        self, signature_request_id: str, *, wait: bool = False, timeout: float = 60.0
    ) -> str:
        """``GET /signature_request/files_as_data_uri/{id}``: a ``data:application/pdf`` URI."""
        path = f"/signature_request/files_as_data_uri/{signature_request_id}"
        fetch = lambda: self._json("GET", path)["data_uri"]  # noqa: E731
        return self._poll_conflicts(fetch, timeout) if wait else fetch()

    def file_url(
        self,
        signature_request_id: str,
        *,
        force_download: bool = True,
        wait: bool = False,
        timeout: float = 60.0,
    ) -> FileUrl:
        """``GET /signature_request/files_as_file_url/{id}``: a temporary link to the PDF."""
        path = f"/signature_request/files_as_file_url/{signature_request_id}"
        params = {"force_download": int(force_download)}
        fetch = lambda: FileUrl.from_json(self._json("GET", path, params=params))  # noqa: E731
        return self._poll_conflicts(fetch, timeout) if wait else fetch()

    def _poll_conflicts(self, fetch: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        for delay in poll_delays():
            try:
                return fetch()
            except Conflict as exc:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise FilesNotReady(
                        exc.status,
                        exc.error_name,
                        exc.error_msg,
                        method=exc.method,
                        path=exc.path,
                        response=exc.response,
                        hint=f"still not ready after {timeout:g} s; wait for "
                        "signature_request_downloadable with a Listener instead of polling",
                    ) from exc
                self._sleep(min(delay, remaining))
        raise AssertionError("unreachable")

    # -- account and API apps ------------------------------------------------------------

    def get_account(
        self, *, account_id: str | None = None, email_address: str | None = None
    ) -> Account:
        """``GET /account``: the key's account (or, for a team, the one named)."""
        params = {"account_id": account_id, "email_address": email_address}
        return Account.from_json(self._json("GET", "/account", params=params))

    def update_account(
        self, *, callback_url: str | None = None, locale: str | None = None
    ) -> Account:
        """``PUT /account``: set the account callback URL (``""`` clears it) and/or locale."""
        body = {"callback_url": callback_url, "locale": locale}
        body = {k: v for k, v in body.items() if v is not None}
        return Account.from_json(self._json("PUT", "/account", json=body))

    def create_api_app(
        self,
        name: str,
        domains: Sequence[str],
        *,
        callback_url: str | None = None,
        **params: Any,
    ) -> ApiApp:
        """``POST /api_app`` (201): a new API app with its own callback URL."""
        body = {"name": name, "domains": list(domains), "callback_url": callback_url, **params}
        body = {k: v for k, v in body.items() if v is not None}
        return ApiApp.from_json(self._json("POST", "/api_app", json=body))

    def get_api_app(self, client_id: str) -> ApiApp:
        """``GET /api_app/{client_id}``."""
        return ApiApp.from_json(self._json("GET", f"/api_app/{client_id}"))

    def list_api_apps(self) -> list[ApiApp]:
        """``GET /api_app/list`` (first page)."""
        data = self._json("GET", "/api_app/list")
        return [ApiApp.from_json(app) for app in data.get("api_apps") or ()]

    def update_api_app(self, client_id: str, **fields: Any) -> ApiApp:
        """``PUT /api_app/{client_id}``: e.g. ``callback_url=...`` (``""`` clears), ``name=``."""
        return ApiApp.from_json(self._json("PUT", f"/api_app/{client_id}", json=fields))

    def delete_api_app(self, client_id: str) -> None:
        """``DELETE /api_app/{client_id}`` (204)."""
        self._call("DELETE", f"/api_app/{client_id}")

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

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._call(method, path, **kwargs)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            excerpt = self._scrub(response.text[:200])
            raise ApiError(
                response.status_code,
                "unknown",
                f"the answer is not JSON: {excerpt!r}",
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
                message = f"{method} {path}: no answer within {self.timeout:g} s"
                raise ApiTimeout(self._scrub(message)) from exc
            except requests.RequestException as exc:
                message = f"{method} {path}: {type(exc).__name__}: {exc}"
                raise TransportError(self._scrub(message)) from exc
            elapsed = time.monotonic() - started
            response.request.headers.pop("Authorization", None)
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
            if isinstance(error, RateLimited) and attempt < self.rate_limit_retries:
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
        cls = error_class(response.status_code)
        exc = cls(
            response.status_code,
            name,
            self._scrub(str(message)) if message is not None else None,
            error_path=error_path,
            method=method,
            path=path,
            response=response,
            hint=hint,
        )
        if isinstance(exc, RateLimited):
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


def api_key_of(client: Client) -> str | None:
    """The key ``client`` sends (for hsnb internals that sign or verify callbacks)."""
    return client._auth.reveal() if client._auth else None
