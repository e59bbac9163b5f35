"""The running emulator: :func:`make_app` and :class:`Emulator`, served on hsnb's background loop.

>>> from hsnb.emulator import Emulator
>>> with Emulator(seed=0, name="doctest") as emulator:
...     emulator.api_url.endswith("/v3")
True
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.web

from hsnb.callback_urls import is_local_host
from hsnb.clock_header import ATTEMPT_HEADER, CLOCK_HEADER, attempt_header, clock_header
from hsnb.emulator.http.control import reset_all
from hsnb.emulator.http.handlers import NotFoundHandler
from hsnb.emulator.http.outbound import HttpFetcher, TornadoTransport
from hsnb.emulator.http.routes import routes
from hsnb.emulator.service.backend import Backend
from hsnb.emulator.service.clock import VIRTUAL, Clock
from hsnb.emulator.service.config import EmulatorConfig
from hsnb.emulator.service.dispatcher import Attempt, Dispatcher
from hsnb.emulator.service.faults import Fault
from hsnb.emulator.service.ids import Randomness
from hsnb.emulator.service.models import EmittedEvent
from hsnb.emulator.service.ratelimit import RateLimiter
from hsnb.emulator.service.serializers import Urls, signature_request_json
from hsnb.emulator.service.virtual_time import VirtualTime
from hsnb.emulator.service.workers import ThreadWorker
from hsnb.emulator.state import RecordsMixin
from hsnb.errors import EmulatorError
from hsnb.runtime import ManagedServer, Registry, background_loop

if TYPE_CHECKING:
    import pandas as pd

MAX_BODY_BYTES = 64 * 2**20


def make_app(
    backend: Backend, limiter: RateLimiter, dispatcher: Dispatcher
) -> tornado.web.Application:
    """The emulator's Tornado application (no logging through tornado's loggers)."""
    return tornado.web.Application(
        routes(backend, limiter, dispatcher),
        default_handler_class=NotFoundHandler,
        default_handler_args={"backend": backend, "limiter": limiter},
        log_function=lambda handler: None,
    )


class Emulator(RecordsMixin, ManagedServer):
    """A local Dropbox Sign API v3 on 127.0.0.1, in hsnb's background loop thread.

    Starts at once (``start=False`` to wait). Same ``seed``, same ids; with a fixed ``start_time``
    (e.g. :data:`hsnb.emulator.service.clock.DEFAULT_EPOCH`) also the same ``created_at`` and
    ``event_time`` values. Every other keyword is a setting of
    :class:`~hsnb.emulator.service.config.EmulatorConfig`, where each is explained and has its
    default, e.g. ``time_scale`` (real seconds per emulated second; ``None``: timers fire only on
    :meth:`advance`), ``processing_delay="uniform:1,3"``, ``callback_delay`` (the service's queueing
    lag, so ``sent_at - event_time`` in :meth:`deliveries` has real lateness to measure),
    ``rate_limit``, ``strict_callback_urls``, ``public_base_url``, ``file_fetch_timeout``
    (``file_urls`` are downloaded during processing; :mod:`hsnb.emulator.http.outbound`). ``config``
    gives a whole :class:`~hsnb.emulator.service.config.EmulatorConfig` (the keywords then change
    it). ``state``: a file of :meth:`save_state` to start from (:meth:`load_state`; a
    ``callback_url`` or ``app_callback_url`` given here then replaces the saved one).
    :meth:`api_log` is every HTTP request it answered, redacted.

    With ``public_base_url``, clients still call :attr:`api_url`; the emulator routes by path
    and query alone, so a URL it gave out works once its scheme and host are swapped for the
    real ones (:meth:`local_url`). URLs passed to this constructor are not checked against
    ``strict_callback_urls``. Starting an emulator with the ``name`` of a running one stops
    that one first. An unknown setting raises ``TypeError``, an impossible one ``ValueError``.
    """

    error_class = EmulatorError
    max_body_size = MAX_BODY_BYTES

    def __init__(
        self,
        seed: int | None = 0,
        api_key: str | None = None,
        callback_url: str | None = None,
        *,
        app_callback_url: str | None = None,
        name: str = "default",
        host: str = "127.0.0.1",
        port: int = 0,
        config: EmulatorConfig | None = None,
        start: bool = True,
        **settings: Any,
    ) -> None:
        self.config = EmulatorConfig.with_settings(config, **settings)
        config = self.config
        self._init_server(name, host, port)
        self.clock = Clock(config.start_time, time_scale=config.time_scale)
        allow_private = config.allow_private_file_urls
        if allow_private is None:
            allow_private = is_local_host(host) and host not in ("0.0.0.0", "::")
        self.fetcher = HttpFetcher(
            config.file_fetch_timeout, config.file_fetch_max_bytes, allow_private=allow_private
        )
        self.worker = ThreadWorker()
        self.backend = Backend(
            config,
            clock=self.clock,
            randomness=Randomness(seed),
            api_key=api_key,
            callback_url=callback_url,
            app_callback_url=app_callback_url,
            fetcher=self.fetcher,
            worker=self.worker,
        )
        self.public_base_url = config.public_base_url
        if self.public_base_url:
            self.backend.urls = Urls(self.public_base_url)
        self.limiter = RateLimiter(
            config.rate_limit,
            config.test_mode_rate_limit,
            high_tier_limit=config.high_tier_rate_limit,
        )
        self.dispatcher = Dispatcher(
            self.clock,
            TornadoTransport(),
            policy=config.retry,
            faults=self.backend.faults,
            min_real_timeout=config.min_callback_timeout,
            concurrency=config.callback_concurrency,
        )
        self.backend.outbox = self.dispatcher.enqueue
        self.dispatcher.extra_headers = self._attempt_headers
        #: Discrete-event time (``time_scale="virtual"``), else ``None``.
        self.virtual_time: VirtualTime | None = None
        if self.clock.virtual:
            self.virtual_time = VirtualTime(
                self.clock,
                [
                    lambda: self.dispatcher.in_flight,
                    lambda: self.fetcher.in_flight,
                    lambda: self.worker.in_flight,
                ],
            )
            self.dispatcher.on_change = self.fetcher.on_change = self.virtual_time.notify
            self.worker.on_done = self.virtual_time.notify
            self.worker.ordered = self.fetcher.ordered = True
        if config.state is not None:
            self.load_state(
                config.state, callback_url=callback_url, app_callback_url=app_callback_url
            )
        if start:
            self.start()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Emulator {self.name!r} {state} seed={self.seed}>"

    # -- identity and URLs -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (sign pages and the control plane live under it)."""
        return self.origin

    @property
    def api_url(self) -> str:
        """The API base URL, ending in ``/v3`` (the official SDK's ``host``)."""
        return f"{self.base_url}/v3"

    def local_url(self, url: str) -> str:
        """``url`` (one the emulator gave out: a sign URL, a file link, ``files_url``...) at
        the emulator's real address: its scheme and host become :attr:`base_url`, its path and
        query stay. Raises ``ValueError`` for a URL of another host.

        Needed only with ``public_base_url``; without it the URLs are local already.
        """
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in {self.public_base_url, self.base_url}:
            raise ValueError(f"not a URL of this emulator: {url}")
        return self.base_url + url[len(origin) :]

    @property
    def seed(self) -> int | None:
        """The seed of the random source."""
        return self.backend.random.seed

    @property
    def api_key(self) -> str:
        """The emulated account's API key (Basic auth user name; also signs callbacks)."""
        return self.backend.account.api_key

    @property
    def access_token(self) -> str:
        """A Bearer token of the emulated account."""
        return self.backend.access_token

    @property
    def account_id(self) -> str:
        """The emulated account's id (``account_guid`` in callbacks)."""
        return self.backend.account.account_id

    @property
    def client_id(self) -> str | None:
        """The ``client_id`` of the API app every emulator starts with."""
        app = self.backend.default_app
        return app.client_id if app else None

    @property
    def callback_url(self) -> str | None:
        """The account callback URL (setting it is ``PUT /v3/account``'s job, in one line)."""
        return self.backend.account.callback_url

    @callback_url.setter
    def callback_url(self, url: str | None) -> None:
        self._call(self.backend.update_account, self.backend.account, {"callback_url": url or ""})

    @property
    def app_callback_url(self) -> str | None:
        """The default app's callback URL."""
        app = self.backend.default_app
        return app.callback_url if app else None

    @app_callback_url.setter
    def app_callback_url(self, url: str | None) -> None:
        params = {"callback_url": url or ""}
        self._call(self.backend.update_app, self.backend.account, self.client_id, params)

    # -- start and stop ----------------------------------------------------------------------

    def _after_bind(self) -> None:
        self.backend.urls = Urls(self.public_base_url or self.base_url)

    def _make_app(self) -> tornado.web.Application:
        return make_app(self.backend, self.limiter, self.dispatcher)

    def _attempt_headers(self, delivery: Any, attempt: int, sent_at: float) -> dict[str, str]:
        """The signed clock and attempt headers of one callback (:mod:`hsnb.clock_header`)."""
        scale = VIRTUAL if self.clock.virtual else self.clock.time_scale
        key = self.backend.account.api_key
        return {
            CLOCK_HEADER: clock_header(key, sent_at, scale, time.time()),
            ATTEMPT_HEADER: attempt_header(delivery.delivery_id, attempt),
        }

    def on_event(self, hook: Callable[[EmittedEvent], None]) -> Callable[[], None]:
        """Call ``hook(event)`` on the loop thread as each event is raised (before delivery);
        returns a function that removes it. Keep it quick (e.g. schedule work on the clock)."""
        self.backend.event_hooks.append(hook)

        def remove() -> None:
            if hook in self.backend.event_hooks:
                self.backend.event_hooks.remove(hook)

        return remove

    def _on_loop_start(self) -> None:
        self.clock.attach(asyncio.get_running_loop())
        if self.virtual_time is not None:
            self.virtual_time.start()
        self._resume_processing_on_start()

    async def _cleanup(self) -> None:
        """Cancel pending timers, work and deliveries (stopping frees the port too)."""
        if self.virtual_time is not None:
            await self.virtual_time.stop()
        self.clock.attach(None)
        self.clock.cancel_all()
        self.worker.cancel_all()
        await self.fetcher.close()
        await self.dispatcher.close()

    # -- what a person does, and the control plane -----------------------------------------

    def view(self, signature_id: str) -> dict[str, Any]:
        """The signer opens the request; returns the request as the API shows it."""
        return self._request_json(self._act(self.backend.view, signature_id))

    def sign(self, signature_id: str) -> dict[str, Any]:
        """The signer opens (if needed) and signs; returns the request as the API shows it.

        With a ``signing_delay`` the signature lands after that (emulated) time.
        """
        return self._request_json(self._act(self.backend.sign, signature_id))

    def decline(self, signature_id: str, reason: str | None = None) -> dict[str, Any]:
        """The signer declines with ``reason`` (the request needs ``allow_decline``)."""
        return self._request_json(self._act(self.backend.decline, signature_id, reason))

    def advance(self, seconds: float) -> int:
        """Fast-forward emulated time, firing due timers; returns how many fired."""
        return self._act(self.clock.advance, seconds)

    def callback_test(self, client_id: str | None = None, url: str | None = None) -> int:
        """Send ``callback_test`` (the dashboard's Test button); returns its delivery id."""
        delivery = self._act(self.backend.callback_test, self.backend.account, client_id, url)
        return delivery.delivery_id

    def inject_fault(
        self,
        target: str,
        action: str,
        *,
        match: str | None = None,
        count: int | None = 1,
        seconds: float = 0.0,
    ) -> Fault:
        """Inject a fault (see :mod:`hsnb.emulator.service.faults`), e.g. a slow API for client
        timeouts: ``inject_fault("api", "delay", match="/signature_request/send", seconds=5)``
        holds the next matching call's answer for 5 real seconds."""
        add = self.backend.faults.add
        return self._call(lambda: add(target, action, match=match, count=count, seconds=seconds))

    def reset(self, seed: int | None = None) -> None:
        """Forget requests, deliveries, faults and counters; ids restart from ``seed``."""
        self._call(reset_all, self.backend, self.limiter, self.dispatcher, seed)

    def wait_settled(self, timeout: float = 10.0) -> bool:
        """Wait (real seconds) until no callback delivery is pending and no work that raises
        events (reading documents, downloads, a due timer) is in flight; ``False`` on
        timeout."""
        if not self.running:
            return self.dispatcher.unsettled == 0
        return background_loop().run(self._settled(timeout), timeout + 5)

    async def _settled(self, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if not await self.dispatcher.wait_settled(max(0.0, deadline - loop.time())):
                return False
            if not (self._work_in_flight() or self.clock.is_due()):
                if self.dispatcher.unsettled == 0:
                    return True
                continue
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.001)

    def _work_in_flight(self) -> bool:
        return self.fetcher.in_flight > 0 or self.worker.in_flight > 0

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait (real seconds) until no callback is queued or on the wire, no ``file_urls``
        download or document reading is running and no timer is due at the current emulated
        time; ``False`` on timeout.

        Unlike :meth:`wait_settled` this does not wait for retries or delayed deliveries (they
        are timers in the future). With a manual clock (``time_scale=None``) the pattern is::

            while (deadline := emulator.next_deadline()) is not None:
                emulator.advance(deadline - emulator.clock.now())
                emulator.wait_idle()
        """
        if not self.running:
            return self.dispatcher.in_flight == 0
        idle = self.dispatcher.wait_idle(timeout, busy=self._work_in_flight)
        return background_loop().run(idle, timeout + 5)

    def next_deadline(self) -> float | None:
        """Emulated time of the next pending timer (``None``: nothing is scheduled)."""
        return self._call(self.clock.next_deadline)

    def on_attempt(self, hook: Callable[[Attempt], None]) -> None:
        """Call ``hook(attempt)`` on the loop thread after each callback attempt."""
        self.dispatcher.hooks.append(hook)

    def attempts(self) -> list[Attempt]:
        """Every callback attempt so far, in order."""
        return self._call(lambda: list(self.dispatcher.attempts))

    def emitted(self) -> list[EmittedEvent]:
        """Every event raised so far (before delivery), in order."""
        return self._call(lambda: list(self.backend.events))

    def deliveries(self) -> pd.DataFrame:
        """The attempt log as a DataFrame: one row per POST, with the declared schema
        :data:`hsnb.frames.ATTEMPT_COLUMNS` (times on the emulator's clock, UTC)."""
        from hsnb.frames import attempts_frame

        return attempts_frame(asdict(a) for a in self.attempts())

    def _request_json(self, sr: Any) -> dict[str, Any]:
        return signature_request_json(sr, self.backend.urls)

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if not self.running:
            return fn(*args)
        return background_loop().call(fn, *args)

    def _act(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run what a person does (it may send callbacks): only while the emulator runs."""
        if not self.running:
            raise EmulatorError("the emulator is not running: start() it first")
        return background_loop().call(fn, *args)


Emulator.registry = Registry()


def running_emulators() -> list[Emulator]:
    """The emulators serving in this process."""
    return Emulator.registry.running()
