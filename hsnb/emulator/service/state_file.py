"""An emulator's whole state in one JSON file: save it, load it, go on as if never stopped.

LocalStack's persistence for Dropbox Sign: a test can start from "a request with one of two
signers done" instead of building it every time. :func:`capture` takes the state of a quiet
emulator (nothing on the wire, no document being read, no download, no timer due) as JSON text;
:func:`write` writes it atomically (a crash never leaves half a file); :func:`read` parses and
checks a file and :func:`restore` puts it in place, so that a loaded emulator raises exactly the
events and makes exactly the callback attempts (same times, same ``event_hash``) the saved one
would have. ``Emulator.save_state`` / ``Emulator.load_state`` use these.

**What is in it.** The account (its API keys and access tokens), its API apps, templates and
signature requests (signers, status, audit trail, their uploads and read documents), sign URLs,
sign-page sessions, file links, injected faults, every event raised, the callback attempt log and
dead letters, the request log, the pending timers (document processing, a signer's delay, file
preparation, cancellation, expiry, callback deliveries and retries) in a form that can be
re-armed, the id counters, the random source's state and the emulated time. Documents are stored
once each, base64 under ``"blobs"`` by their SHA-256 (checked on load). Settings are not state:
a loaded emulator keeps its own (the file lists the saving emulator's under ``"settings"``, for
reference), so give it the same ones to go on exactly as the saved one would have. Also not
saved: rate-limit windows (real time), copies rendered for download (made again, byte for byte).

**Secrets.** The file holds the emulator's own secrets (keys drawn from its seed or created
through the API, access tokens, OAuth secrets, sign-URL and file-link tokens): treat it like a
test fixture, not a log. A key the emulator's *caller* gave it (``api_key=``: maybe a real one) is
never written, only its fingerprint; loading such a state needs that key again.

**Format** (:data:`VERSION` 1): one JSON object with ``"format": "hsnb-emulator-state"`` and
``"version"``. A file that is not JSON (truncated), not this format, of a newer version, or whose
documents do not match their hashes raises :class:`~hsnb.errors.StateFileError` and changes
nothing: everything is read and checked before anything is replaced.

Nothing here imports tornado.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from hsnb.emulator.service import state_codec as codec
from hsnb.emulator.service.backend import Backend
from hsnb.emulator.service.clock import Delay, Timer
from hsnb.emulator.service.config import EmulatorConfig
from hsnb.emulator.service.dispatcher import DELIVER, Dispatcher
from hsnb.emulator.service.ids import Counter
from hsnb.errors import StateFileError
from hsnb.events import ACCOUNT_CALLBACK, APP_CALLBACK

#: The ``"format"`` of every state file.
FORMAT = "hsnb-emulator-state"
#: The format version this hsnb writes and the newest it reads.
VERSION = 1
#: The id counters a state holds (``"counters"``).
COUNTERS = ("delivery_ids", "sequence", "faults")
NOTE = (
    "An hsnb emulator state (Emulator.save_state). It holds the emulator's own made-up secrets"
    " (never a key its caller gave): keep it like a test fixture."
)


@dataclasses.dataclass
class LoadedState:
    """A state file, read and decoded, ready for :func:`restore` (nothing is changed yet)."""

    now: float
    next_seq: int
    timers: list[Timer]
    seed: int | None
    random_state: list[Any]
    counters: dict[str, int]
    account: Any
    default_client_id: str
    apps: dict[str, Any]
    templates: dict[str, Any]
    requests: dict[str, Any]
    sign_urls: dict[str, Any]
    sessions: dict[str, str]
    file_links: dict[str, Any]
    events: list[Any]
    faults: list[Any]
    attempts: list[Any]
    dead_letters: list[Any]
    calls: list[Any]
    calls_dropped: int
    next_call_id: int
    #: The settings of the emulator that saved it (for reference: they are not applied).
    settings: dict[str, Any]


# -- saving ----------------------------------------------------------------------------------


def capture(backend: Backend, dispatcher: Dispatcher, version: str = "") -> str:
    """The whole state of a quiet emulator as JSON text (call on its loop thread, in one go).

    Raises :class:`~hsnb.errors.StateFileError` if a pending timer cannot be saved (one set by
    code outside the service, e.g. a simulation's script).
    """
    blobs = codec.Blobs()
    given = backend.given_api_key
    clock = backend.clock
    document = {
        "format": FORMAT,
        "version": VERSION,
        "note": NOTE,
        "hsnb_version": version,
        "settings": settings_json(backend.config),
        "clock": {
            "now": clock.now(),
            "next_seq": clock.next_seq,
            "timers": [_encode_timer(t) for t in clock.pending_timers()],
        },
        "random": {"seed": backend.random.seed, "state": backend.random.get_state()},
        "counters": {
            "delivery_ids": backend.delivery_ids.value,
            "sequence": backend.sequence.value,
            "faults": backend.faults.ids.value,
        },
        "account": codec.encode_account(backend.account, given),
        "default_client_id": backend.default_client_id,
        "apps": [codec.plain(app) for app in backend.apps.values()],
        "templates": [codec.encode_template(t, blobs) for t in backend.templates.values()],
        "signature_requests": [codec.encode_request(sr, blobs) for sr in backend.requests.values()],
        "sign_urls": [codec.plain(link) for link in backend.sign_urls.values()],
        "sessions": dict(backend.sessions),
        "file_links": [codec.encode_file_link(f, blobs) for f in backend.file_links.values()],
        "events": [codec.plain(event) for event in backend.events],
        "faults": [codec.plain(fault) for fault in backend.faults.active()],
        "deliveries": {
            "attempts": [codec.plain(a) for a in dispatcher.attempts],
            "dead_letters": [codec.plain(d) for d in dispatcher.dead_letters],
        },
        "api_log": {
            "calls": [codec.plain(call) for call in backend.api_log.calls()],
            "dropped": backend.api_log.dropped,
            "next_id": backend.api_log.ids.value,
        },
    }
    document["blobs"] = blobs.to_json()
    try:
        return json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StateFileError(f"the emulator's state cannot be written as JSON: {exc}") from None


def _encode_timer(timer: Timer) -> dict[str, Any]:
    task = timer.task
    if task is None:
        raise StateFileError(
            "a timer set outside the emulated service is pending (e.g. a simulation's next"
            " action): it cannot be saved; save once it has fired"
        )
    if task[0] == DELIVER:
        _, delivery, attempt = task
        task = (DELIVER, codec.plain(delivery), attempt)
    return {"deadline": timer.deadline, "seq": timer.seq, "task": list(task)}


def settings_json(config: EmulatorConfig) -> dict[str, Any]:
    """The settings of ``config`` as JSON values (delays as text), for reference."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if field.name == "state":
            continue
        if isinstance(value, Delay):
            value = str(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
        values[field.name] = value
    return values


def write(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically (a temporary file beside it, then a rename)."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise StateFileError(f"cannot write the state file {target}: {exc.strerror}") from exc
    return target


# -- loading ---------------------------------------------------------------------------------


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON object of a state file, checked for its format and version."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise StateFileError(f"cannot read the state file {path}: {exc.strerror}") from exc
    return parse(raw, str(path))


def parse(raw: bytes, name: str = "the state file") -> dict[str, Any]:
    """The JSON object of a state file's bytes, checked for its format and version."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise StateFileError(
            f"{name} is not an hsnb emulator state: not JSON (truncated, or another kind of file)"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StateFileError(f'{name} is not an hsnb emulator state: no "format": "{FORMAT}"')
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StateFileError(f"{name} has an unknown state format version: {version!r}")
    if version > VERSION:
        raise StateFileError(
            f"{name} was written by a newer hsnb (state format version {version}); this hsnb"
            f" reads version {VERSION} at most: upgrade hsnb to load it"
        )
    return document


def decode(
    document: dict[str, Any],
    backend: Backend,
    dispatcher: Dispatcher,
    *,
    api_key: str | None = None,
    callback_url: str | None = None,
    app_callback_url: str | None = None,
) -> LoadedState:
    """Decode a checked state for ``backend`` and ``dispatcher``, changing neither.

    ``api_key``: the loading emulator's key, given by its caller: it becomes the account's (it
    must be given when the state was saved with a key its caller gave; see the module
    docstring). ``callback_url`` / ``app_callback_url``: new callback URLs of the account / the
    default app; deliveries pending for the old ones go to the new ones (``None``: keep).
    """
    try:
        retarget = {}
        if callback_url is not None:
            retarget[ACCOUNT_CALLBACK, document["account"]["callback_url"]] = callback_url
        if app_callback_url is not None:
            default = document["default_client_id"]
            for app in document["apps"]:
                if app["client_id"] == default:
                    retarget[APP_CALLBACK, app["callback_url"]] = app_callback_url
        state = _decode(document, backend, dispatcher, api_key, retarget)
        if callback_url is not None:
            state.account.callback_url = callback_url
        if app_callback_url is not None and state.default_client_id in state.apps:
            state.apps[state.default_client_id].callback_url = app_callback_url
        return state
    except StateFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, LookupError) as exc:
        kind = type(exc).__name__
        raise StateFileError(f"the state file is damaged or incomplete ({kind}: {exc})") from None


def _decode(
    document: dict[str, Any],
    backend: Backend,
    dispatcher: Dispatcher,
    api_key: str | None,
    retarget: dict[tuple[str, str], str],
) -> LoadedState:
    blobs = codec.Blobs.from_json(document["blobs"])
    requests = [codec.decode_request(item, blobs) for item in document["signature_requests"]]
    templates = [codec.decode_template(item, blobs) for item in document["templates"]]
    apps = codec.each(codec.decode_app, document["apps"])
    links = codec.each(codec.decode_sign_url, document["sign_urls"])
    files = [codec.decode_file_link(item, blobs) for item in document["file_links"]]
    deliveries = document["deliveries"]
    timers = []
    for item in document["clock"]["timers"]:
        task = list(item["task"])
        if task[0] == DELIVER:
            delivery = codec.decode_delivery(task[1])
            url = retarget.get((delivery.callback_type, delivery.url), delivery.url)
            delivery = dataclasses.replace(delivery, url=url)
            callback, task = dispatcher.job(delivery, task[2]), [DELIVER, delivery, task[2]]
        else:
            method, args = backend.timer_task(task[0]), tuple(task[1:])
            callback = _bound(method, args)
        timers.append(Timer(float(item["deadline"]), int(item["seq"]), callback, task=tuple(task)))
    random = document["random"]
    seed = random["seed"]
    if seed is not None:
        seed = _whole(seed, "the seed")
    type(backend.random)(seed).set_state(seed, random["state"])  # a bad state raises here
    counters = document["counters"]
    log = document["api_log"]
    clock = document["clock"]
    default_client_id = document["default_client_id"]
    if not isinstance(default_client_id, str):
        raise StateFileError("the default client_id must be text")
    return LoadedState(
        now=_number(clock["now"], "the emulated time"),
        next_seq=_whole(clock["next_seq"], "the next timer number"),
        timers=timers,
        seed=seed,
        random_state=random["state"],
        counters={name: _whole(counters[name], name) for name in COUNTERS},
        account=codec.decode_account(document["account"], api_key),
        default_client_id=default_client_id,
        apps={app.client_id: app for app in apps},
        templates={t.template_id: t for t in templates},
        requests={sr.signature_request_id: sr for sr in requests},
        sign_urls={link.token: link for link in links},
        sessions={str(k): str(v) for k, v in dict(document["sessions"]).items()},
        file_links={link.token: link for link in files},
        events=codec.each(codec.decode_event, document["events"]),
        faults=codec.each(codec.decode_fault, document["faults"]),
        attempts=codec.each(codec.decode_attempt, deliveries["attempts"]),
        dead_letters=codec.each(codec.decode_delivery, deliveries["dead_letters"]),
        calls=codec.each(codec.decode_call, log["calls"]),
        calls_dropped=_whole(log["dropped"], "the dropped calls"),
        next_call_id=_whole(log["next_id"], "the next call id"),
        settings=dict(document.get("settings") or {}),
    )


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StateFileError(f"{what} must be a whole number, not {value!r}")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StateFileError(f"{what} must be a number, not {value!r}")
    return float(value)


def _bound(method: Any, args: tuple[Any, ...]) -> Any:
    return lambda: method(*args)


def restore(state: LoadedState, backend: Backend, dispatcher: Dispatcher) -> None:
    """Put a decoded state in place of ``backend``'s and ``dispatcher``'s (on the loop thread):
    every pending timer, piece of work and delivery of the old state is dropped. Then call
    ``backend.resume_processing()`` on the loop that serves it."""
    backend.clear_for_load()
    waiting = sum(1 for timer in state.timers if timer.task and timer.task[0] == DELIVER)
    dispatcher.restore(state.attempts, state.dead_letters, waiting)
    backend.account = state.account
    backend.default_client_id = state.default_client_id
    backend.apps = state.apps
    backend.templates = state.templates
    backend.requests = state.requests
    backend.sign_urls = state.sign_urls
    backend.sessions = state.sessions
    backend.file_links = state.file_links
    backend.events = state.events
    backend.delivery_ids = Counter(state.counters["delivery_ids"])
    backend.sequence = Counter(state.counters["sequence"])
    backend.faults.restore(state.faults, state.counters["faults"])
    backend.random.set_state(state.seed, state.random_state)
    backend.api_log.restore(state.calls, state.calls_dropped, state.next_call_id)
    backend.clock.restore(state.now, state.timers, state.next_seq)
