"""Going live: a :class:`~hsnb.client.Client`, a :class:`~hsnb.listener.Listener` and a public URL.

Dropbox Sign POSTs callbacks from the internet, so the listener in your kernel needs a public
URL that forwards to it: one you give (any tunnel, e.g. ``ngrok http PORT`` or
``cloudflared tunnel --url http://127.0.0.1:PORT``, or a deployed host), or, with the optional
``tunnel`` extra (``pip install 'hsnb[tunnel]'``, pyngrok), a tunnel :func:`connect` opens.

>>> from hsnb.live import connect, LiveSetupError
>>> try:
...     connect(api_key="", env={})
... except LiveSetupError as error:
...     print(error)
No API key: set DROPBOX_SIGN_API_KEY (Dropbox Sign: Settings > API > API key) or pass api_key=...

:func:`connect` registers the callback URL on the account (or on an API app) and can check the
path end to end. Real callbacks are acknowledged only once stored in a file (``store``, by
default ``hsnb-events.sqlite`` in the working directory): Dropbox Sign never resends an event it
saw acknowledged, so a kernel restart must not lose one. A listener given to :func:`connect`
that keeps events in memory is refused, unless the API is a local emulator (a rehearsal).

The real API has no endpoint that fires the dashboard's ``callback_test``, so
:meth:`LiveSession.check` sends a ``callback_test`` signed with your key to the public URL
itself and waits for it to arrive at this kernel's listener: that proves the tunnel forwards to
the listener and that the listener verifies your key. Against an emulator running in this
process it also asks the emulator to send its own ``callback_test`` (the Test button).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hsnb import environment
from hsnb.callback_urls import NOT_HTTPS, is_local_host, scheme_and_host
from hsnb.client import ApiError, Client
from hsnb.client.http import DEFAULT_BASE_URL, api_key_of, running_emulator
from hsnb.errors import LiveSetupError
from hsnb.listener import CALLBACK_PATH, Listener
from hsnb.receiver import Answer
from hsnb.recorder import Recorder
from hsnb.trigger import TriggerResult, sample_payload, send_callback

NO_KEY = (
    "No API key: set DROPBOX_SIGN_API_KEY (Dropbox Sign: Settings > API > API key) "
    "or pass api_key=..."
)
NO_PUBLIC_URL = (
    "No public callback URL: Dropbox Sign must reach this kernel's listener from the internet. "
    "Give public_url=... (or set HSNB_PUBLIC_URL): a tunnel forwarding to the listener's port "
    "(ngrok, cloudflared, ...) or a deployed host; or pass tunnel=True with hsnb[tunnel] "
    "installed"
)
LOCAL_URL = (
    "Dropbox Sign refuses localhost callback URLs ({host} is not reachable from the internet); "
    "give a public URL (a tunnel such as ngrok or cloudflared, or a deployed host) or install "
    "hsnb[tunnel] and pass tunnel=True"
)
NO_PYNGROK = "pyngrok is not installed: pip install 'hsnb[tunnel]' (or give public_url=...)"
NOT_DURABLE = (
    "The listener keeps events in memory: a kernel restart would lose callbacks it acknowledged, "
    "and Dropbox Sign never resends those. Give it a store file "
    "(Listener('hsnb-events.sqlite', ...)), or let connect() start one"
)
#: Where the listener :func:`connect` starts keeps its events (relative to the working directory).
DEFAULT_STORE = "hsnb-events.sqlite"


@dataclass(frozen=True)
class CheckStep:
    """One step of :meth:`LiveSession.check`: what was tried, whether it worked, why not."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class CheckResult:
    """The outcome of :meth:`LiveSession.check`; ``ok`` when every step passed."""

    steps: tuple[CheckStep, ...]
    trigger: TriggerResult | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Whether every step passed."""
        return all(step.ok for step in self.steps)

    def explain(self) -> str:
        """One line per step, ``OK`` or ``FAILED``, without URLs, ports or timings."""
        return "\n".join(f"{'OK' if s.ok else 'FAILED'}: {s.name}: {s.detail}" for s in self.steps)


def public_url_problem(url: str) -> str | None:
    """Why Dropbox Sign could not POST to ``url`` (not http(s), local, private, not HTTPS), or
    ``None``."""
    scheme, host = scheme_and_host(url)
    if scheme not in ("http", "https") or not host:
        return f"{url!r} is not an http(s) URL with a host name"
    if is_local_host(host):
        return LOCAL_URL.format(host=host)
    if scheme != "https":
        return f"{NOT_HTTPS}, not {url!r}"
    return None


def callback_url_for(public_url: str) -> str:
    """The callback URL for a public base URL: its own path, or the listener's ``/callback``."""
    parts = urlsplit(public_url)
    if parts.path in ("", "/"):
        return public_url.rstrip("/") + CALLBACK_PATH
    return public_url


class LiveSession:
    """A client, a listener and the public callback URL registered with Dropbox Sign.

    Made by :func:`connect`. ``target`` is ``"account"`` or the ``client_id`` of the app whose
    callback URL was set; ``previous_callback_url`` is what it was before (``close()`` puts it
    back). Use it as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        client: Client,
        listener: Listener,
        callback_url: str,
        *,
        target: str,
        owns_listener: bool,
        tunnel: Any = None,
        recorder: Recorder | None = None,
    ) -> None:
        self.client = client
        self.listener = listener
        self.callback_url = callback_url
        self.target = target
        self.tunnel = tunnel
        self.recorder = recorder
        self.previous_callback_url: str | None = None
        self.registered = False
        self._owns_listener = owns_listener
        self._arrived: dict[str, threading.Event] = {}
        self._remove_hook = listener.on_delivery(self._on_delivery)

    def __repr__(self) -> str:
        state = "registered" if self.registered else "not registered"
        return f"<LiveSession target={self.target!r} {state}>"

    def __enter__(self) -> LiveSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def register(self) -> None:
        """Set the callback URL on the account or the app, remembering the old one."""
        try:
            if self.target == "account":
                self.previous_callback_url = self.client.get_account().callback_url
                self.client.update_account(callback_url=self.callback_url)
            else:
                self.previous_callback_url = self.client.get_api_app(self.target).callback_url
                self.client.update_api_app(self.target, callback_url=self.callback_url)
        except ApiError as exc:
            where = "the account" if self.target == "account" else f"API app {self.target}"
            raise LiveSetupError(f"Could not set the callback URL on {where}: {exc}") from exc
        self.registered = True

    def check(self, timeout: float = 30.0) -> CheckResult:
        """Send a signed ``callback_test`` to the public URL; see that it reaches the listener.

        Against an emulator in this process, and once the first callback_test arrived, also
        has the emulator send its own ``callback_test`` to the registered URL (what the
        dashboard's Test button does).
        """
        steps = [
            CheckStep(
                "callback URL registered",
                self.registered,
                f"on {self._where()}" if self.registered else "not registered yet",
            )
        ]
        nonce = secrets.token_hex(20)
        arrived = self._arrived.setdefault(nonce, threading.Event())
        key = api_key_of(self.client) or ""
        payload = sample_payload("callback_test", key, event_time=int(time.time()))
        payload["event"]["event_metadata"]["reported_for_account_id"] = nonce
        result = send_callback(self.callback_url, payload, timeout=timeout)
        if result.acknowledged:
            steps.append(CheckStep("public URL answers", True, "HTTP 200 with the ACK text"))
        else:
            steps.append(CheckStep("public URL answers", False, result.explain()))
        reached = arrived.wait(timeout if result.acknowledged else 0.5)
        self._arrived.pop(nonce, None)
        detail = (
            "the signed callback_test arrived and verified"
            if reached
            else "the callback_test did not arrive here: does the URL forward to the listener "
            "(its port is listener.port)?"
        )
        steps.append(CheckStep("reaches this listener", reached, detail))
        emulator = running_emulator(self.client.base_url)
        if emulator is not None and self.registered and reached:
            steps.append(self._emulator_test(emulator, timeout))
        return CheckResult(tuple(steps), result)

    def _emulator_test(self, emulator: Any, timeout: float) -> CheckStep:
        before = len(self.listener.store.stored_events("callback_test"))
        client_id = None if self.target == "account" else self.target
        emulator.callback_test(client_id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.listener.store.stored_events("callback_test")) > before:
                return CheckStep("dashboard Test button", True, "the emulator's callback_test")
            self.listener.store.wait_for_change(0.1)
        return CheckStep("dashboard Test button", False, f"no callback_test in {timeout:g} s")

    def wait_for(self, event_type: str, **kwargs: Any) -> Any:
        """:meth:`Listener.wait_for` (a shortcut)."""
        return self.listener.wait_for(event_type, **kwargs)

    def close(self, *, restore: bool = True) -> None:
        """Put the old callback URL back (``restore``), close the tunnel, stop what was started."""
        try:
            if restore and self.registered:
                previous = self.previous_callback_url or ""
                if self.target == "account":
                    self.client.update_account(callback_url=previous)
                else:
                    self.client.update_api_app(self.target, callback_url=previous)
                self.registered = False
        finally:
            if self.tunnel is not None:
                _close_tunnel(self.tunnel)
                self.tunnel = None
            if self.recorder is not None:
                self.recorder.close()
            self._remove_hook()
            if self._owns_listener:
                self.listener.stop()
            self.client.close()

    def _where(self) -> str:
        return "the account" if self.target == "account" else "the API app"

    def _on_delivery(self, answer: Answer) -> None:
        event = answer.event
        if event is None or event.event_type != "callback_test" or not answer.acknowledged:
            return
        waiter = self._arrived.get(event.reported_for_account_id or "")
        if waiter is not None:
            waiter.set()


def connect(
    api_key: str | None = None,
    public_url: str | None = None,
    *,
    tunnel: bool = False,
    app: bool | str = False,
    base_url: str | None = None,
    listener: Listener | None = None,
    store: str | Path = DEFAULT_STORE,
    port: int = 0,
    register: bool = True,
    check: bool = False,
    record: str | None = None,
    allow_localhost: bool = False,
    env: Mapping[str, str] | None = None,
) -> LiveSession:
    """Wire a client, a listener and a public callback URL together (see the module doc).

    ``api_key``: default ``DROPBOX_SIGN_API_KEY`` (or ``HSNB_API_KEY``). ``base_url``: default
    ``HSNB_BASE_URL`` / ``DROPBOX_SIGN_BASE_URL``, else the real API, even when an emulator runs
    in this process (pass its ``api_url`` to rehearse against it). ``listener``: yours, or
    ``None`` to start one on ``port`` (0: any free port) that keeps its events in ``store`` (a
    file; an in-memory listener is refused unless the API is local). ``public_url``:
    default ``HSNB_PUBLIC_URL``; a URL without a path gets the listener's ``/callback``.
    ``tunnel=True`` opens an ngrok tunnel to the listener (needs pyngrok and an ngrok
    authtoken). ``app``: ``False`` registers the account callback; ``True`` the app named by
    ``DROPBOX_SIGN_CLIENT_ID``; a string, that app. ``record``: a session name or path for a
    :class:`~hsnb.recorder.Recorder`. ``check=True`` runs :meth:`LiveSession.check` and raises
    if it fails. ``allow_localhost`` is for tests against the emulator only. ``env`` replaces
    ``os.environ`` when looking up defaults. Raises :class:`LiveSetupError` saying what is
    missing.
    """
    key = api_key if api_key is not None else environment.api_key(env)
    public_url = public_url if public_url is not None else environment.public_url(env)
    check_setup(key, public_url, tunnel=tunnel, allow_localhost=allow_localhost)
    assert key
    base = base_url or _live_base_url(env)
    if listener is not None and listener.store.in_memory and not _is_local(base):
        raise LiveSetupError(NOT_DURABLE)
    ngrok = _import_ngrok() if tunnel and not public_url else None
    owns_listener = listener is None
    listener = listener or Listener(store, api_keys=key, port=port, name="live")
    opened = client = None
    try:
        if ngrok is not None:
            opened = _open_tunnel(ngrok, listener)
            public_url = opened.public_url
        assert public_url
        client = Client(api_key=key, base_url=base)
        target = "account"
        if app:
            target = app if isinstance(app, str) else (client.client_id or "")
            if not target:
                raise LiveSetupError(
                    "app=True but no API app is known: set DROPBOX_SIGN_CLIENT_ID "
                    "or pass app='<client_id>'"
                )
        recorder = Recorder(record) if record else None
        session = LiveSession(
            client,
            listener,
            callback_url_for(public_url),
            target=target,
            owns_listener=owns_listener,
            tunnel=opened,
            recorder=recorder,
        )
        if recorder is not None:
            recorder.attach(client).attach_listener(listener)
        if register:
            session.register()
    except BaseException:
        if client is not None:
            client.close()
        if opened is not None:
            _close_tunnel(opened)
        if owns_listener:
            listener.stop()
        raise
    if check:
        result = session.check()
        if not result.ok:
            session.close()
            raise LiveSetupError("The callback check failed:\n" + result.explain())
    return session


def check_setup(
    api_key: str | None, public_url: str | None, *, tunnel: bool, allow_localhost: bool
) -> None:
    """What :func:`connect` checks before it starts anything: a key, and a public URL that
    Dropbox Sign can reach (or a tunnel). Raises :class:`LiveSetupError` saying what is missing.
    """
    if not api_key:
        raise LiveSetupError(NO_KEY)
    if not public_url and not tunnel:
        raise LiveSetupError(NO_PUBLIC_URL)
    if public_url and not allow_localhost:
        problem = public_url_problem(public_url)
        if problem:
            raise LiveSetupError(problem)


def _live_base_url(env: Mapping[str, str] | None) -> str:
    """``HSNB_BASE_URL`` / ``DROPBOX_SIGN_BASE_URL``, else the real API (never an emulator)."""
    return environment.base_url(env) or DEFAULT_BASE_URL


def _is_local(base_url: str) -> bool:
    """Whether an API base URL is on this machine (an emulator): no real callbacks come."""
    return is_local_host(scheme_and_host(base_url)[1] or "")


def _import_ngrok() -> Any:
    try:
        from pyngrok import ngrok
    except ImportError:
        raise LiveSetupError(NO_PYNGROK) from None
    return ngrok


def _open_tunnel(ngrok: Any, listener: Listener) -> Any:
    try:
        return ngrok.connect(listener.port, "http")
    except Exception as exc:  # pyngrok raises its own errors (no authtoken, no binary, ...)
        raise LiveSetupError(
            f"ngrok could not open a tunnel ({type(exc).__name__}: {exc}); set an authtoken "
            "with `ngrok config add-authtoken <token>` or NGROK_AUTHTOKEN, or give public_url=..."
        ) from exc


def _close_tunnel(opened: Any) -> None:
    from pyngrok import ngrok

    try:
        ngrok.disconnect(opened.public_url)
    except Exception:  # closing a tunnel that is already gone is fine
        pass


__all__ = [
    "CheckResult",
    "CheckStep",
    "LiveSession",
    "LiveSetupError",
    "callback_url_for",
    "check_setup",
    "connect",
    "public_url_problem",
]
