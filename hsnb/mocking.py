"""``mock_dropbox_sign``: the real API host answered by a local emulator, without changing code.

In the spirit of moto's ``mock_aws``: under the context manager or decorator, every HTTP request
made through **urllib3** to ``api.hellosign.com`` reaches an :class:`~hsnb.emulator.Emulator` on
127.0.0.1 instead. The official ``dropbox_sign`` SDK (``rest.py`` drives a
``urllib3.PoolManager``) and ``requests`` (its ``HTTPAdapter`` drives urllib3 too) both end in
``urllib3.connectionpool.HTTPConnectionPool.urlopen``, so that one method is the interception
point: it is patched while a mock is active, and calls for any other host go through untouched.
``responses`` and ``requests-mock`` patch ``HTTPAdapter.send`` instead, which would miss the SDK.

>>> import requests
>>> with mock_dropbox_sign() as mock:
...     answer = requests.get("https://api.hellosign.com/v3/account",
...                           auth=(mock.api_key, ""), timeout=10)
>>> answer.status_code, answer.json()["account"]["email_address"]
(200, 'me@example.com')

While a mock is active it also sets ``DROPBOX_SIGN_API_KEY`` and ``HSNB_API_KEY`` to the
emulator's key (moto sets fake AWS credentials the same way), so code that reads the key from
the environment authenticates, and a real key in the environment is never sent anywhere.
Everything is put back on exit.

What is **not** intercepted: HTTP clients that do not use urllib3 (``httpx``, ``aiohttp``,
``urllib.request``/``http.client``, pycurl); other processes (a worker started with
``subprocess`` needs its own mock); vendored copies of urllib3 (``pip._vendor``); requests
already answered above urllib3 by ``responses``/``requests-mock``; the OAuth host
``app.hellosign.com`` (not emulated). Other hosts are never touched.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from urllib3.connectionpool import HTTPConnectionPool
from urllib3.response import BaseHTTPResponse

from hsnb import environment
from hsnb.errors import MockError

if TYPE_CHECKING:
    from hsnb.emulator import Emulator

#: A recognisable made-up API key (search any output for it to prove it never leaks).
TEST_API_KEY = "hsnb-test-secret-" + "5eC7e7" * 8

#: Emulator settings for fast, reproducible tests: a fixed epoch, no processing or file delays,
#: 30 hours of callback retries in about a tenth of a second, no rate limits.
FAST: dict[str, Any] = {
    "start_time": 1_767_225_600,  # 2026-01-01T00:00:00Z, hsnb.emulator.DEFAULT_EPOCH
    "time_scale": 1e-6,
    "processing_delay": 0,
    "file_prep_delay": 0,
    "rate_limit": None,
    "high_tier_rate_limit": None,
    "test_mode_rate_limit": None,
    "min_callback_timeout": 2.0,
}

#: The hosts a mock answers: the official SDK's default ``https://api.hellosign.com/v3``.
API_HOSTS: tuple[str, ...] = ("api.hellosign.com",)
#: Where the emulator of a mock says it lives (``files_url``, sign URLs, file links), so the
#: URLs it hands out look real and are intercepted too.
REAL_ORIGIN = "https://api.hellosign.com"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class InterceptedCall:
    """One request that reached the emulator instead of the real API."""

    method: str
    url: str


class _Route:
    """Requests for ``hosts`` go to the emulator at ``host:port`` (plain HTTP, one pool)."""

    def __init__(self, hosts: Iterable[str], host: str, port: int) -> None:
        self.hosts = frozenset(h.lower() for h in hosts)
        self.pool = HTTPConnectionPool(host, port, maxsize=8, block=False)
        self.calls: list[InterceptedCall] = []

    def wants(self, pool: HTTPConnectionPool, url: str) -> bool:
        if (pool.host or "").lower() in self.hosts:
            return True
        # a plain-HTTP request through a forwarding proxy: the pool is the proxy's
        return "://" in url and (urlsplit(url).hostname or "") in self.hosts

    def forward(
        self, pool: HTTPConnectionPool, method: str, url: str, *args: Any, **kw: Any
    ) -> BaseHTTPResponse:
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.hostname if "://" in url else pool.host
        self.calls.append(InterceptedCall(method.upper(), f"https://{host}{path}"))
        return _ORIGINAL_URLOPEN(self.pool, method, path, *args, **kw)


_ORIGINAL_URLOPEN = HTTPConnectionPool.urlopen
_routes: list[_Route] = []
_lock = threading.Lock()


def _intercepting_urlopen(
    self: HTTPConnectionPool, method: str, url: str, *args: Any, **kw: Any
) -> BaseHTTPResponse:
    with _lock:
        route = next((r for r in reversed(_routes) if r.wants(self, url)), None)
    if route is None:
        return _ORIGINAL_URLOPEN(self, method, url, *args, **kw)
    return route.forward(self, method, url, *args, **kw)


def _push(route: _Route) -> None:
    with _lock:
        _routes.append(route)
        HTTPConnectionPool.urlopen = _intercepting_urlopen  # type: ignore[method-assign]


def _pop(route: _Route) -> None:
    with _lock:
        _routes.remove(route)
        if not _routes and HTTPConnectionPool.urlopen is _intercepting_urlopen:
            HTTPConnectionPool.urlopen = _ORIGINAL_URLOPEN  # type: ignore[method-assign]
    route.pool.close()


def is_intercepting() -> bool:
    """Whether a mock is active (urllib3's ``urlopen`` is patched) in this process."""
    return HTTPConnectionPool.urlopen is _intercepting_urlopen


_names = itertools.count(1)
_active: list[DropboxSignMock] = []


class DropboxSignMock:
    """Route the real API host to an emulator while active; see :func:`mock_dropbox_sign`.

    ``emulator`` routes to a running emulator you own (it is neither reset nor stopped);
    otherwise each start makes a fresh one with :data:`FAST`, ``api_key``, ``callback_url``
    and ``public_base_url`` :data:`REAL_ORIGIN`, changed by ``settings`` (any
    :class:`~hsnb.emulator.service.config.EmulatorConfig` setting, plus ``seed``), and stops
    it at the end. ``set_env=False`` leaves the API key variables alone.
    """

    def __init__(
        self,
        emulator: Emulator | None = None,
        *,
        api_key: str = TEST_API_KEY,
        callback_url: str | None = None,
        hosts: Iterable[str] = API_HOSTS,
        set_env: bool = True,
        **settings: Any,
    ) -> None:
        if emulator is not None and (settings or callback_url):
            raise MockError("give either a running emulator or settings for a new one")
        self._given = emulator
        self.api_key = emulator.api_key if emulator is not None else api_key
        self.callback_url = callback_url
        self.hosts = tuple(hosts)
        self.set_env = set_env
        self.settings = settings
        self.emulator: Emulator | None = None
        self._route: _Route | None = None
        self._saved_env: dict[str, str | None] = {}
        self._calls: list[InterceptedCall] = []

    def __repr__(self) -> str:
        state = "active" if self.active else "inactive"
        return f"<DropboxSignMock {state} hosts={list(self.hosts)}>"

    @property
    def active(self) -> bool:
        """Whether this mock is routing requests now."""
        return self._route is not None

    @property
    def calls(self) -> list[InterceptedCall]:
        """Every request intercepted by this mock (its last run, if stopped), in order."""
        return list(self._route.calls if self._route else self._calls)

    def start(self) -> DropboxSignMock:
        """Start the emulator (unless one was given), patch urllib3, set the key variables."""
        if self.active:
            raise MockError("this mock is already active; use a new one to nest")
        emulator = self._given or self._new_emulator()
        self.emulator = emulator
        self._route = _Route(self.hosts, emulator.host, emulator.port)
        _push(self._route)
        _active.append(self)
        if self.set_env:
            for name in environment.API_KEY_VARIABLES:
                self._saved_env[name] = os.environ.get(name)
                os.environ[name] = self.api_key
        return self

    def stop(self) -> None:
        """Put urllib3 and the environment back and stop the emulator this mock started."""
        route, self._route = self._route, None
        if route is None:
            raise MockError("this mock is not active")
        self._calls = route.calls
        _pop(route)
        _active.remove(self)
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
        if self._given is None and self.emulator is not None:
            self.emulator.stop()

    def _new_emulator(self) -> Emulator:
        from hsnb.emulator import Emulator

        settings = {**FAST, "public_base_url": REAL_ORIGIN, **self.settings}
        return Emulator(
            api_key=self.api_key,
            callback_url=self.callback_url,
            name=f"hsnb-mock-{next(_names)}",
            **settings,
        )

    def __enter__(self) -> DropboxSignMock:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __call__(self, target: F) -> F:
        """Decorate a function (sync or async: a fresh mock around each call) or a class (each
        ``test*`` method)."""
        if inspect.isclass(target):
            for name, member in list(vars(target).items()):
                if name.startswith("test") and inspect.isfunction(member):
                    setattr(target, name, self._copy()(member))
            return target
        if inspect.iscoroutinefunction(target):

            @functools.wraps(target)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._copy():
                    return await target(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(target)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._copy():
                return target(*args, **kwargs)

        return run  # type: ignore[return-value]

    def _copy(self) -> DropboxSignMock:
        """A new mock with the same arguments (so decorated calls never share state)."""
        if self._given is not None:
            return DropboxSignMock(
                self._given, api_key=self.api_key, hosts=self.hosts, set_env=self.set_env
            )
        return DropboxSignMock(
            api_key=self.api_key,
            callback_url=self.callback_url,
            hosts=self.hosts,
            set_env=self.set_env,
            **self.settings,
        )


def mock_dropbox_sign(func: F | None = None, /, **options: Any) -> Any:
    """Answer the real API host from a local emulator: a context manager or a decorator.

    ``with mock_dropbox_sign() as mock:`` gives the active :class:`DropboxSignMock`
    (``mock.emulator``, ``mock.api_key``, ``mock.calls``); ``@mock_dropbox_sign`` and
    ``@mock_dropbox_sign(**options)`` wrap a function or a test class, with a fresh emulator
    for each call. ``options`` are :class:`DropboxSignMock`'s. Mocks nest; the innermost
    answers.
    """
    if func is not None:
        if options or not callable(func):
            raise MockError("use @mock_dropbox_sign or @mock_dropbox_sign(**options)")
        return DropboxSignMock()(func)
    return DropboxSignMock(**options)


def current_mock() -> DropboxSignMock:
    """The innermost active mock (e.g. inside a decorated test); :class:`MockError` if none."""
    if not _active:
        raise MockError("no mock_dropbox_sign is active")
    return _active[-1]


__all__ = [
    "API_HOSTS",
    "FAST",
    "REAL_ORIGIN",
    "TEST_API_KEY",
    "DropboxSignMock",
    "InterceptedCall",
    "current_mock",
    "is_intercepting",
    "mock_dropbox_sign",
]
