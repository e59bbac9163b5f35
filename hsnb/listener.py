"""The callback listener: a Tornado server in hsnb's background loop thread.

It serves between cells and while a cell blocks, because it does not run on the kernel's loop
(see :mod:`hsnb.runtime`). Each request is judged by :class:`hsnb.receiver.CallbackReceiver`:
stored, committed, and only then acknowledged with ``200 Hello API Event Received``. The commit
happens on the store's writer thread, which commits all pending callbacks together
(:mod:`hsnb.writer`), so the loop never waits on disk. As a public endpoint it has header and
body timeouts and a connection cap (:mod:`hsnb.connections`). Its Tornado handler is
:mod:`hsnb.callback_handler`; a relay to your own handler (:mod:`hsnb.relay`) or scripted
answers (:mod:`hsnb.answers`) may answer in its place, each delivery still stored first.

>>> from hsnb.listener import Listener
>>> with Listener(name="doctest") as listener:
...     listener.url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import tornado.httpserver
import tornado.web

from hsnb import environment
from hsnb.answering import Answerer
from hsnb.answers import AnswerPolicy, AnswerRule, AnswerScript, ScriptedAnswer
from hsnb.callback_handler import make_app
from hsnb.connections import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    GuardedHTTPServer,
    default_max_connections,
)
from hsnb.errors import ConfigError, EventTimeoutError, ListenerError, NotDurableWarning
from hsnb.events import Event
from hsnb.frames import deliveries_frame, events_frame
from hsnb.receiver import (
    DEFAULT_COMMIT_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES,
    CallbackReceiver,
)
from hsnb.relay import DEFAULT_FORWARD_TIMEOUT, Relay
from hsnb.runtime import ManagedServer, Registry
from hsnb.store import EventStore
from hsnb.subscribers import DeliveryHook, Subscribers

logger = logging.getLogger(__name__)

#: The path shown in :attr:`Listener.url`; the listener accepts callbacks on any path.
CALLBACK_PATH = "/callback"
_POLL_SECONDS = 0.2
#: A Dropbox Sign API key is 64 hex digits: a key of that shape is taken for a real one.
_REAL_KEY = re.compile(r"[0-9a-f]{64}")
_warned_not_durable = False


class Listener(ManagedServer):
    """Receive Dropbox Sign callbacks in the background; read them back as DataFrames.

    ``store`` is an :class:`EventStore`, a path to one (reopening it keeps what it had), or
    ``None`` for an in-memory store, which a restart loses: give real callbacks a file (an
    in-memory listener that verifies with a real-looking key warns once, with
    :class:`~hsnb.errors.NotDurableWarning`). ``api_keys`` (a key or several; default: the key
    in ``DROPBOX_SIGN_API_KEY`` or ``HSNB_API_KEY``, if set, see :mod:`hsnb.environment`) turn
    on ``event_hash`` verification; ``[]`` turns it off; an empty key raises
    :class:`~hsnb.errors.ConfigError`. ``tolerance`` (seconds) also refuses events whose
    ``event_time`` is that far from now (off by default: retries come up to 30 hours late).

    Limits, as a public endpoint: ``commit_timeout`` (an answer waits at most this long for
    the store, then 503), ``header_timeout`` and ``body_timeout`` (seconds to receive a
    request's headers and body), ``max_connections`` (default: half the descriptor limit, at
    most 2,048; the limit is raised to the hard limit first), ``max_body_bytes`` (413 above).

    Answering in its place: ``forward_to`` (a URL) relays every delivery it stores to your own
    handler and gives the sender the handler's answer, recording it and how Dropbox Sign would
    count it (:mod:`hsnb.relay`; ``forward_timeout``: seconds to wait for the handler);
    ``answers`` (rules such as ``"next=3 status=500"``, see :mod:`hsnb.answers`; more with
    :meth:`script` or :meth:`answer_next`, also while it serves) and ``answer_policy`` (a
    function choosing an answer per delivery) answer some deliveries wrongly, late or not at
    all, on purpose. Either way each delivery is stored first, as usual.

    Starting a listener with the ``name`` of a running one stops that one first, so re-running a
    cell never fails with "address already in use".
    """

    error_class = ListenerError

    def __init__(
        self,
        store: EventStore | str | Path | None = None,
        *,
        api_keys: str | Iterable[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "default",
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        tolerance: float | None = None,
        commit_timeout: float = DEFAULT_COMMIT_TIMEOUT,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        max_connections: int | None = None,
        forward_to: str | None = None,
        forward_timeout: float = DEFAULT_FORWARD_TIMEOUT,
        answers: Iterable[str | AnswerRule] = (),
        answer_policy: AnswerPolicy | None = None,
        start: bool = True,
    ) -> None:
        keys, from_environment = _verification_keys(api_keys)
        self.store = store if isinstance(store, EventStore) else EventStore(store or ":memory:")
        self.receiver = CallbackReceiver(
            self.store,
            api_keys=keys,
            max_body_bytes=max_body_bytes,
            tolerance=tolerance,
            commit_timeout=commit_timeout,
        )
        relay = Relay(forward_to, timeout=forward_timeout) if forward_to is not None else None
        self._answerer = Answerer(self.receiver, AnswerScript(answers, answer_policy), relay)
        if self.store.in_memory and keys and (from_environment or _looks_real(keys)):
            _warn_not_durable()
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.max_connections = max_connections
        self._init_server(name, host, port)
        self._subscribers = Subscribers(self.store.notify_waiters)
        if start:
            self.start()

    def __repr__(self) -> str:
        state = f"url={self.url!r}" if self.running else "stopped"
        keys = len(self.receiver.api_keys)
        return f"<Listener {self.name!r} {state} events={len(self.store)} verify_keys={keys}>"

    @property
    def url(self) -> str:
        """The full callback URL to give Dropbox Sign (or the emulator)."""
        return self.origin + CALLBACK_PATH

    @property
    def forward_to(self) -> str | None:
        """The handler URL deliveries are relayed to (``None``: no relay; a password in it is
        shown as ``***``)."""
        relay = self._answerer.relay
        return relay.shown_url if relay is not None else None

    def script(self, *rules: str | AnswerRule) -> list[AnswerRule]:
        """Add answer rules (``"next=3 status=500"``, see :mod:`hsnb.answers`), tried in order
        after the ones there; return the rules not used up yet. With no rule, only return them.

        Raises :class:`~hsnb.errors.AnswerRuleError` (adding none) when one cannot be read.
        """
        self._answerer.script.add(*rules)
        return self._answerer.script.rules()

    def answer_next(
        self,
        count: int = 1,
        *,
        status: int = 200,
        body: str | None = None,
        delay: float = 0.0,
        drop: bool = False,
        store: bool = True,
        event_type: str | Iterable[str] | None = None,
    ) -> AnswerRule:
        """Answer the next ``count`` deliveries (of ``event_type``, if given) so: ``status``
        and ``body`` (default: the ACK text with 200), ``delay`` seconds later, or no answer
        (``drop``); ``store=False`` stores nothing. Same as the rule ``next=COUNT ...``."""
        types = [event_type] if isinstance(event_type, str) else event_type
        rule = AnswerRule(
            ScriptedAnswer(status, body, delay, drop, store),
            event_types=None if types is None else frozenset(types),
            count=count,
        )
        self._answerer.script.add(rule)
        return rule

    def clear_script(self) -> None:
        """Remove every answer rule: the listener answers by itself again (a policy stays)."""
        self._answerer.script.clear()

    @property
    def answer_policy(self) -> AnswerPolicy | None:
        """The function asked for each delivery no rule matched (``None``: none)."""
        return self._answerer.script.policy

    @answer_policy.setter
    def answer_policy(self, policy: AnswerPolicy | None) -> None:
        self._answerer.script.policy = policy

    def _make_app(self) -> tornado.web.Application:
        return make_app(self.receiver, self._subscribers, self.body_timeout, self._answerer)

    async def _cleanup(self) -> None:
        self._answerer.close()

    def _make_server(self) -> tornado.httpserver.HTTPServer:
        return GuardedHTTPServer(
            self._make_app(),
            max_body_size=self.max_body_size,
            idle_connection_timeout=self.header_timeout,
            max_connections=self.max_connections or default_max_connections(),
        )

    def on_delivery(self, hook: DeliveryHook) -> Callable[[], None]:
        """Call ``hook(answer)`` on the loop thread for each request, after it was recorded.

        Keep it quick and thread-safe (e.g. put the answer on a queue); do not print from it.
        Returns a function that removes the hook again.
        """
        return self._subscribers.add(hook)

    def events(self) -> pd.DataFrame:
        """One row per logical event received (retries collapsed), in arrival order."""
        return events_frame(self.store.event_rows())

    def deliveries(self) -> pd.DataFrame:
        """One row per HTTP request received, with status, verdict and reason."""
        return deliveries_frame(self.store.delivery_rows())

    def wait_for(
        self,
        event_type: str | Iterable[str],
        *,
        signature_request_id: str | None = None,
        timeout: float = 30.0,
    ) -> Event:
        """Block until an event of ``event_type`` (for that request, if given) is stored.

        ``event_type`` may be several types: the first of any of them is returned, e.g.
        ``wait_for(["signature_request_sent", "file_error"], ...)`` answers "may I open a sign
        URL now, or did processing fail?" in one call.
        Returns at once when one already arrived, the first one in arrival order. Raises
        :class:`~hsnb.errors.EventTimeoutError` (a ``TimeoutError``) naming what did arrive
        (in ``event_time`` order).
        """
        if not isinstance(event_type, str):
            event_type = tuple(event_type)
            if not event_type:
                raise ValueError("wait_for needs at least one event type")
        deadline = time.monotonic() + timeout
        while True:
            found = self.store.stored_events(event_type, signature_request_id=signature_request_id)
            # returned once its delivery hooks ran too, so a recorder or widget has it as well
            if found and not self._subscribers.pending(found[0].event.identity):
                return found[0].event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                message = self._timeout_message(event_type, signature_request_id, timeout)
                raise EventTimeoutError(message)
            self.store.wait_for_change(min(remaining, _POLL_SECONDS))

    async def wait_for_async(
        self,
        event_type: str | Iterable[str],
        *,
        signature_request_id: str | None = None,
        timeout: float = 30.0,
    ) -> Event:
        """The awaitable twin of :meth:`wait_for` (for ``await`` in a cell or a coroutine)."""
        return await asyncio.to_thread(
            self.wait_for, event_type, signature_request_id=signature_request_id, timeout=timeout
        )

    def _timeout_message(
        self, event_type: str | tuple[str, ...], request_id: str | None, timeout: float
    ) -> str:
        wanted = event_type if isinstance(event_type, str) else " or ".join(event_type)
        scope = f" for signature request {request_id}" if request_id else ""
        stored = self.store.stored_events(signature_request_id=request_id)
        arrived = [e.event_type for e in sorted((s.event for s in stored), key=_by_time)]
        seen = ", ".join(arrived) if arrived else "nothing"
        return f"no {wanted}{scope} within {timeout:g} s; arrived meanwhile: {seen}"


Listener.registry = Registry()


def running_listeners() -> list[Listener]:
    """The listeners serving in this process."""
    return Listener.registry.running()


def _by_time(event: Event) -> tuple[int, str]:
    return event.event_timestamp, event.event_type


def _verification_keys(api_keys: str | Iterable[str] | None) -> tuple[list[str], bool]:
    """The keys to verify with, and whether they came from the environment.

    An empty key (given, or an API key variable set to nothing) is an error rather than
    "verification off": ``[]`` is how to ask for no verification.
    """
    if api_keys is None:
        env_key = environment.api_key()
        return ([env_key], True) if env_key else ([], False)
    keys = [api_keys] if isinstance(api_keys, str) else list(api_keys)
    if any(not isinstance(key, str) or not key.strip() for key in keys):
        raise ConfigError("an API key to verify with is empty: give the key, or [] to verify none")
    return keys, False


def _looks_real(keys: Iterable[str]) -> bool:
    """Whether a key has a real key's shape and is not an emulator's made-up key."""
    server = sys.modules.get("hsnb.emulator.server")  # never import the emulator for this
    emulated = {e.api_key for e in server.running_emulators()} if server is not None else set()
    return any(_REAL_KEY.fullmatch(key) and key not in emulated for key in keys)


def _warn_not_durable() -> None:
    global _warned_not_durable
    if _warned_not_durable:
        return
    _warned_not_durable = True
    warnings.warn(
        NotDurableWarning(
            "this listener verifies with a real API key but keeps events in memory: a restart "
            "loses callbacks it acknowledged, and Dropbox Sign never resends those. Give it a "
            "store file, e.g. Listener('events.sqlite', ...)"
        ),
        stacklevel=3,
    )
