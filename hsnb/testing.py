"""Test helpers for Dropbox Sign integrations: a fast emulator, a listener, a scripted receiver,
and ``mock_dropbox_sign`` (the real API host answered by an emulator, see :mod:`hsnb.mocking`).

hsnb's own test suite uses these, and so can yours (the module needs pytest; it is in hsnb's
``test`` extra). The fixtures load by themselves wherever hsnb is installed: hsnb registers
:mod:`hsnb.pytest_plugin` under pytest's ``pytest11`` entry point (``-p no:hsnb`` turns it
off; with plugin autoloading disabled, write ``pytest_plugins = ["hsnb.testing"]`` in a
``conftest.py``). Each test gets fresh servers on 127.0.0.1, stopped afterwards:

* ``hsnb_listener``: a :class:`~hsnb.listener.Listener` (in-memory store) that verifies
  ``event_hash`` with :data:`TEST_API_KEY`;
* ``hsnb_emulator``: an :class:`~hsnb.emulator.Emulator` with the :data:`FAST` settings and
  :data:`TEST_API_KEY`, whose account callbacks go to ``hsnb_listener``; mark a test
  ``@pytest.mark.hsnb(**settings)`` to change its settings (``seed``, ``processing_delay``,
  ``time_scale="virtual"`` for discrete-event time, ...); ``state=`` starts it from a saved
  state (below);
* ``hsnb_emulator_factory``: ``make(**settings)`` starts more emulators the same way;
* ``hsnb_client``: a :class:`~hsnb.client.Client` of ``hsnb_emulator``;
* ``hsnb_mock``: ``hsnb_emulator`` answering ``https://api.hellosign.com`` for the test (a
  :class:`~hsnb.mocking.DropboxSignMock`): the official SDK with its default host and plain
  ``requests`` reach it, and ``DROPBOX_SIGN_API_KEY`` holds its key;
* ``hsnb_receiver``: a :class:`Receiver` that answers callbacks from a script;
* ``hsnb_wsgi_server``: ``serve(app)`` serves your WSGI app (Flask, Django, plain) on a free
  port, e.g. your callback handler, so the emulator can call it.

**Starting from a saved state.** ``@pytest.mark.hsnb(state=...)`` (or ``make(state=...)``)
loads the emulator from a state of ``Emulator.save_state`` (:mod:`hsnb.emulator.state`) and points
its account callbacks at ``hsnb_listener``. ``state`` is a file (a relative path is taken from
pytest's rootdir, e.g. ``"tests/states/one-of-two-signed.json"``), or a function
``build(emulator)``: the plugin runs it once per session on an emulator with the test's settings
and no callback URL, saves that state and loads it for every test that names it (see
:func:`build_state`, which also writes a file to commit)::

    def one_of_two_signed(emulator):
        with Client(base_url=emulator.api_url) as api:
            request = api.create_embedded(b"[sig|req|signer1] [sig|req|signer2]",
                                          [("Ann", "ann@example.com"), ("Bob", "bob@example.com")])
        emulator.wait_settled()
        emulator.sign(request.signatures[0].signature_id)

    @pytest.mark.hsnb(state=one_of_two_signed)
    def test_the_second_signature_completes_it(hsnb_emulator, hsnb_listener): ...

Without pytest: :func:`serve_app` serves any Tornado app on a free port, :func:`serve_wsgi` a
WSGI app, and :class:`Receiver` is a callback receiver whose answers you script
(``(status, body, delay)``), e.g. to see the emulator retry.

>>> with Receiver(script=[(500, "oops", 0.0)]) as receiver:
...     receiver.url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import pathlib
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

import pytest
import tornado.httpserver
import tornado.web

from hsnb.events import ACK_TEXT
from hsnb.mocking import FAST, TEST_API_KEY, DropboxSignMock, current_mock, mock_dropbox_sign
from hsnb.runtime import ServedApp, http_url, serve_app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Say nothing: a test's output is its own."""


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class ServedWSGI:
    """A WSGI application (Flask, Django, a plain function) served on 127.0.0.1 (a free port)
    by the standard library's server, one thread per request, on a thread of its own (not
    hsnb's loop, so the app may call the emulator synchronously). Use it as a context manager,
    or call :meth:`stop`."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self._server = _ThreadingWSGIServer(("127.0.0.1", 0), _QuietHandler)
        self._server.set_app(app)
        self.port: int = self._server.server_address[1]
        self.origin = http_url("127.0.0.1", self.port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/") -> str:
        """The full URL of ``path`` on this server."""
        return self.origin + path

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(10)
        self._server.server_close()

    def __enter__(self) -> ServedWSGI:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_wsgi(app: Callable[..., Any]) -> ServedWSGI:
    """Serve a WSGI ``app`` on a free 127.0.0.1 port; see :class:`ServedWSGI`."""
    return ServedWSGI(app)


@dataclass
class Received:
    """One POST a :class:`Receiver` got: the decoded ``json`` field, its headers, when."""

    payload: dict[str, Any]
    content_type: str
    headers: dict[str, str] = field(repr=False)
    at: float = 0.0

    @property
    def event_type(self) -> str:
        """The event's type."""
        return self.payload["event"]["event_type"]


Answer = tuple[int, str, float]


class _ReceiverHandler(tornado.web.RequestHandler):
    def initialize(self, receiver: Receiver) -> None:
        self.receiver = receiver

    async def post(self) -> None:
        self.receiver.received.append(
            Received(
                json.loads(self.get_body_argument("json")),
                self.request.headers.get("Content-Type", ""),
                dict(self.request.headers),
                time.monotonic(),
            )
        )
        status, body, delay = self.receiver.next_answer()
        if delay:
            await asyncio.sleep(delay)
        self.set_status(status)
        self.set_header("Content-Type", "text/plain")
        self.finish(body)


class Receiver:
    """A callback receiver on 127.0.0.1 that answers from ``script`` (``(status, body,
    delay_seconds)`` per POST, in order), then with ``200 Hello API Event Received``."""

    def __init__(self, script: list[Answer] | None = None) -> None:
        self.script = list(script or [])
        self.received: list[Received] = []
        self._served = serve_app([(r".*", _ReceiverHandler, {"receiver": self})])
        self.port = self._served.port
        self.url = self._served.url("/callback")

    def next_answer(self) -> Answer:
        """The next scripted answer, or 200 with the ACK text."""
        return self.script.pop(0) if self.script else (200, ACK_TEXT, 0.0)

    def types(self) -> list[str]:
        """Event types received, in arrival order."""
        return [r.event_type for r in self.received]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until ``count`` POSTs arrived; ``TimeoutError`` saying what did, after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.received)} of {count} callbacks: {self.types()}")
            time.sleep(0.005)
        return self.received

    def stop(self) -> None:
        """Stop serving."""
        self._served.stop()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# -- saved states --------------------------------------------------------------------------

StateBuilder = Callable[[Any], Any]


def build_state(path: str | os.PathLike[str], build: StateBuilder, **settings: Any) -> pathlib.Path:
    """Run ``build(emulator)`` on a fresh emulator (:data:`FAST`, :data:`TEST_API_KEY`, no
    callback URL, ``settings``), wait until it settles, save its state to ``path`` (its folder
    made if needed) and stop it; return the path. A script or a conftest can make the state
    files tests load with ``@pytest.mark.hsnb(state="...")``; the file holds
    :data:`TEST_API_KEY`'s fingerprint only."""
    from hsnb.emulator import Emulator

    options = {**FAST, "api_key": TEST_API_KEY, **settings, "callback_url": None}
    with Emulator(name=f"hsnb-testing-build-{next(_emulator_names)}", **options) as emulator:
        build(emulator)
        if not emulator.wait_settled():
            raise TimeoutError("the emulator did not settle after build(emulator)")
        pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
        return emulator.save_state(path)


def _state_file(request: pytest.FixtureRequest, state: Any, settings: dict[str, Any]) -> Any:
    """The file behind a ``state`` setting: a builder's, made once per session, or a path (a
    relative one from the rootdir)."""
    if not callable(state):
        path = pathlib.Path(state)
        return path if path.is_absolute() else request.config.rootpath / path
    others = {k: v for k, v in settings.items() if k not in ("state", "callback_url", "name")}
    name = getattr(state, "__qualname__", type(state).__name__)
    key = f"{getattr(state, '__module__', '')}.{name}:{sorted(others.items())!r}"
    built = request.config.stash.setdefault(_BUILT_STATES, {})
    if key not in built:
        folder = request.getfixturevalue("tmp_path_factory").mktemp("hsnb-states")
        built[key] = build_state(folder / "state.json", state, **others)
    return built[key]


_BUILT_STATES = pytest.StashKey[dict[str, pathlib.Path]]()


# -- pytest fixtures -------------------------------------------------------------------------

_emulator_names = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``hsnb`` marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line(
        "markers",
        "hsnb(**settings): emulator settings for this test's hsnb_emulator (EmulatorConfig's "
        "settings, seed, api_key; state: a saved state's file or a function that builds one)",
    )


@pytest.fixture
def hsnb_listener() -> Iterator[Any]:
    """A running listener (in-memory store) verifying ``event_hash`` with TEST_API_KEY."""
    from hsnb.listener import Listener

    with Listener(api_keys=TEST_API_KEY, name="hsnb-testing") as listener:
        yield listener


@pytest.fixture
def hsnb_emulator_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``make(**settings)`` starts an emulator with :data:`FAST`, :data:`TEST_API_KEY` and
    ``settings`` (``seed``, ``callback_url``, any EmulatorConfig setting; ``state``: a saved
    state's file or a builder, see the module docstring); each is stopped after the test, which
    fails if one of its timers raised."""
    from hsnb.emulator import Emulator

    started: list[Emulator] = []

    def make(**settings: Any) -> Emulator:
        options = {**FAST, "api_key": TEST_API_KEY, **settings}
        if options.get("state") is not None:
            options["state"] = _state_file(request, options["state"], options)
        emulator = Emulator(name=f"hsnb-testing-{next(_emulator_names)}", **options)
        started.append(emulator)
        return emulator

    yield make
    errors = []
    for emulator in started:
        emulator.stop()
        errors += emulator.clock.errors
    assert errors == [], f"an emulator timer raised: {errors}"


@pytest.fixture
def hsnb_emulator(
    hsnb_listener: Any, hsnb_emulator_factory: Callable[..., Any], request: pytest.FixtureRequest
) -> Any:
    """A fast emulator (:data:`FAST`, :data:`TEST_API_KEY`) calling back ``hsnb_listener``,
    with the settings of the test's ``@pytest.mark.hsnb(...)`` markers (the closest wins;
    ``state=`` loads a saved state, its account callbacks then going to ``hsnb_listener``); the
    test fails if one of its timers raised."""
    settings: dict[str, Any] = {"callback_url": hsnb_listener.url}
    for marker in reversed(list(request.node.iter_markers("hsnb"))):
        settings.update(marker.kwargs)
    return hsnb_emulator_factory(**settings)


@pytest.fixture
def hsnb_client(hsnb_emulator: Any) -> Iterator[Any]:
    """A client of ``hsnb_emulator``."""
    from hsnb.client import Client

    with Client(base_url=hsnb_emulator.api_url) as client:
        yield client


@pytest.fixture
def hsnb_mock(hsnb_emulator: Any) -> Iterator[DropboxSignMock]:
    """``hsnb_emulator`` answering the real API host for this test: the official SDK with its
    default host and ``requests`` to ``https://api.hellosign.com`` reach it, unchanged; the
    API key variables hold its key. ``hsnb_mock.emulator`` is ``hsnb_emulator``."""
    with DropboxSignMock(hsnb_emulator) as mock:
        yield mock


@pytest.fixture
def hsnb_receiver() -> Iterator[Receiver]:
    """A callback receiver that acknowledges everything (script more answers in the test)."""
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def hsnb_wsgi_server() -> Iterator[Callable[[Callable[..., Any]], ServedWSGI]]:
    """``serve(app)`` serves a WSGI app (your callback handler) on a free port until the test
    ends; ``serve(app).url("/callback")`` is the URL to give the emulator."""
    served: list[ServedWSGI] = []

    def serve_one(app: Callable[..., Any]) -> ServedWSGI:
        served.append(ServedWSGI(app))
        return served[-1]

    yield serve_one
    for server in served:
        server.stop()


__all__ = [
    "FAST",
    "TEST_API_KEY",
    "DropboxSignMock",
    "build_state",
    "Receiver",
    "Received",
    "ServedApp",
    "ServedWSGI",
    "current_mock",
    "mock_dropbox_sign",
    "serve_app",
    "serve_wsgi",
]
