"""The emulator's request log: every HTTP request it answered, redacted, in bounded memory.

What ``stripe logs tail`` shows of Stripe and moto's recorder keeps of AWS: a line per request
and its answer, so a test can see what a client really sent. The HTTP edge hands each finished
request to :meth:`ApiLog.record` as a :class:`RawCall`; what is kept is an :class:`ApiCall`.

**Which requests.** Every request the emulator answers, with its ``plane``: ``"api"`` (under
``/v3``), ``"control"`` (the ``/_emulator`` JSON plane: signing, moving time and resetting
change the world, so the story of how a state came about needs them), ``"page"`` (the sign page,
whose buttons sign, and file links) and ``"other"`` (a path nobody serves). Reading the log
(``GET /_emulator/api_log``) is not logged, so polling it does not grow it. What Python calls
directly (``Emulator.sign``) is no HTTP request and is not in it (its events are).

**What is kept.** Method, path, query, the request's fields (a JSON body, or form fields by
their names as sent), each upload as name, size and sha256 (never its bytes), the status, the
``error_name`` and message of an error answer, the JSON answer, who called (``account_id``;
``auth`` ``basic`` or ``bearer``; the credential's :func:`fingerprint`), the emulated time it
arrived and the real seconds it took. The fields and the answer are kept as JSON text of about
:data:`MAX_JSON` characters at most: texts are cut at :data:`MAX_TEXT`, and what comes after
the budget is left out (``"..."``), so a large answer costs little to log.

**What is never kept.** The ``Authorization`` header and any secret (:func:`redact`): a value
under a secret name (:data:`SECRET_NAMES`: ``api_key``, ``secret``, ``token``, ``password``,
``pin``, ``session``, ...) becomes ``"[REDACTED]"``; every known secret (the account's API keys
and access tokens, the apps' OAuth secrets, and every credential a caller presented, known or
not, remembered in memory only) is cut out of every text wherever it appears; so is anything
shaped like a Dropbox Sign API key (64 hex digits), sign-URL tokens (``token=`` in a URL) and
the tokens in file-link and sign-session paths. Secrets are cut before anything is shortened.

**Memory.** At most ``size`` calls (:attr:`EmulatorConfig.api_log_size
<hsnb.emulator.service.config.EmulatorConfig>`, 10,000 by default; 0 keeps none): the oldest go
first, counted in :attr:`ApiLog.dropped`; ``call_id`` goes on counting. Nothing here imports
tornado.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hsnb.emulator.service.ids import Counter

logger = logging.getLogger(__name__)

#: What a secret is replaced with.
REDACTED = "[REDACTED]"
#: Field and query names whose values are always redacted (the last part of a bracket name
#: counts: ``signers[0][pin]`` is a ``pin``).
SECRET_NAMES = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "authorization",
        "client_secret",
        "key",
        "password",
        "pin",
        "refresh_token",
        "secret",
        "session",
        "token",
    }
)
#: The planes of :attr:`ApiCall.plane`, in the order of the module docstring.
PLANES = ("api", "control", "page", "other")
#: Calls kept by default.
DEFAULT_SIZE = 10_000
#: Longest text value kept (longer ones are cut, after secrets were cut out).
MAX_TEXT = 500
#: About the longest ``params`` or ``response`` JSON text kept (see :func:`redact`).
MAX_JSON = 8_000
#: Shortest secret cut out of longer texts (a shorter one is redacted only where it is a whole
#: value, so a made-up key like ``"k"`` does not blank every letter k).
MIN_SECRET = 8

#: How many credentials presented by callers the log remembers (in memory only) to cut out.
SEEN_CREDENTIALS = 32

_KEY_SHAPE = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")
_URL_SECRET = re.compile(r"(?i)([?&;](?:token|access_token|api_key|session)=)[^&#\s\"']*")
_PATH_SECRET = re.compile(r"(/_emulator/(?:file_links|sessions)/)[^/?#\s\"']+")
_REQUEST_ID = re.compile(r"/signature_request/(?:[a-z_]+/)?([0-9a-f]{40})$")


def fingerprint(secret: str) -> str:
    """A short, one-way name for a key or token: ``sha256:`` and 12 hex digits of its SHA-256.

    >>> fingerprint("hsnb-test-secret")
    'sha256:fa60fb7e7cf0'
    """
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the HTTP edge received it (only its name, size and hash are kept)."""

    field: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class RawCall:
    """One finished request as the HTTP edge saw it, before redaction.

    ``params``: the JSON body, or the form fields by name (a list where a name repeats), or
    ``None``; ``credential``: the Basic user name or Bearer token presented; ``hidden``: other
    secrets the request carried (a Basic password), cut out like the rest; ``answer``: the JSON
    answered (``None`` for files and pages).
    """

    plane: str
    received_at: float
    method: str
    path: str
    query: Sequence[tuple[str, str]] = ()
    params: Any = None
    uploads: Sequence[Upload] = ()
    status: int = 200
    error_name: str | None = None
    error_message: str | None = None
    auth: str | None = None
    credential: str | None = None
    hidden: Sequence[str] = ()
    account_id: str | None = None
    answer: Any = None
    duration: float = 0.0


@dataclass(frozen=True)
class ApiCall:
    """One request in the log, redacted (a row of ``Emulator.api_log()``, whose columns are
    :data:`hsnb.frames.API_LOG_COLUMNS`)."""

    call_id: int
    plane: str
    received_at: float
    method: str
    path: str
    query: str | None
    params: str | None
    status: int
    error_name: str | None
    error_message: str | None
    auth: str | None
    key_fingerprint: str | None
    account_id: str | None
    signature_request_id: str | None
    response: str | None
    duration: float


def redact(value: Any, secrets: Iterable[str], budget: int = MAX_JSON) -> Any:
    """``value`` (JSON values) with every secret replaced by :data:`REDACTED` (see the module
    docstring), texts cut at :data:`MAX_TEXT` characters, and what comes after about ``budget``
    characters left out (``"..."``: the work stays small however large the value).

    >>> redact({"api_key": "abc", "note": "key abcdefgh9 here", "n": 1}, ["abcdefgh9"])
    {'api_key': '[REDACTED]', 'note': 'key [REDACTED] here', 'n': 1}
    """
    return _redact(value, [s for s in secrets if s], [budget])


#: What stands for the part of a value past the budget.
ELIDED = "..."


def _redact(value: Any, secrets: list[str], budget: list[int]) -> Any:
    """:func:`redact`; ``budget[0]`` is the characters left, spent as texts are kept."""
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if budget[0] <= 0:
                kept[ELIDED] = f"{len(value) - index} more"
                break
            name = _cut(scrub(str(key), secrets), MAX_TEXT)
            budget[0] -= len(name) + 4
            secret = _secret_name(str(key)) and item not in (None, "")
            kept[name] = REDACTED if secret else _redact(item, secrets, budget)
        return kept
    if isinstance(value, (list, tuple)):
        items: list[Any] = []
        for index, item in enumerate(value):
            if budget[0] <= 0:
                items.append(f"{ELIDED} {len(value) - index} more")
                break
            items.append(_redact(item, secrets, budget))
        return items
    if isinstance(value, str):
        text = _cut(scrub(value, secrets), MAX_TEXT)
        budget[0] -= len(text) + 3
        return text
    budget[0] -= 8
    return value


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with known ``secrets``, key-shaped words and URL and path tokens cut out
    (nothing shortened)."""
    for secret in secrets:
        if secret and (text == secret or (len(secret) >= MIN_SECRET and secret in text)):
            text = text.replace(secret, REDACTED)
    text = _KEY_SHAPE.sub(REDACTED, text)
    text = _URL_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    return _PATH_SECRET.sub(lambda m: m.group(1) + REDACTED, text)


def _secret_name(name: str) -> bool:
    parts = [p for p in re.split(r"[\[\]]+", name.lower()) if p]
    return bool(parts) and parts[-1] in SECRET_NAMES


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}...[+{len(text) - limit} chars]"


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    return _cut(json.dumps(value, separators=(",", ":"), ensure_ascii=False), MAX_JSON)


def build_call(call_id: int, raw: RawCall, secrets: Iterable[str]) -> ApiCall:
    """The redacted :class:`ApiCall` of ``raw`` (``secrets``: every secret the emulator knows;
    the credential ``raw`` presented is added)."""
    known = sorted(
        {s for s in (*secrets, raw.credential, *raw.hidden) if s},
        key=len,
        reverse=True,  # a longer secret first, in case one contains another
    )
    params = _redact(raw.params, known, [MAX_JSON])
    if raw.uploads:
        params = dict(params) if isinstance(params, dict) else {}
        for upload in raw.uploads:
            params[upload.field] = {
                "filename": redact(upload.filename, known),
                "content_type": redact(upload.content_type, known),
                "size": len(upload.data),
                "sha256": hashlib.sha256(upload.data).hexdigest(),
            }
    query = "&".join(
        f"{name}={REDACTED if _secret_name(name) and value else scrub(value, known)}"
        for name, value in raw.query
    )
    return ApiCall(
        call_id=call_id,
        plane=raw.plane,
        received_at=raw.received_at,
        method=raw.method,
        path=scrub(raw.path, known),
        query=_cut(query, MAX_TEXT) or None,
        params=_json_text(params),
        status=raw.status,
        error_name=raw.error_name,
        error_message=None if raw.error_message is None else redact(raw.error_message, known),
        auth=raw.auth,
        key_fingerprint=fingerprint(raw.credential) if raw.credential else None,
        account_id=raw.account_id,
        signature_request_id=_request_id(raw),
        response=_json_text(redact(raw.answer, known)),
        duration=raw.duration,
    )


def _request_id(raw: RawCall) -> str | None:
    answer = raw.answer
    if isinstance(answer, dict) and isinstance(answer.get("signature_request"), dict):
        found = answer["signature_request"].get("signature_request_id")
        if isinstance(found, str):
            return found
    match = _REQUEST_ID.search(raw.path)
    return match.group(1) if match else None


CallHook = Callable[[ApiCall], None]


class ApiLog:
    """The bounded log of :class:`ApiCall` (see the module docstring); lives on the loop thread."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 0:
            raise ValueError(f"api_log_size must be 0 or more, not {size!r}")
        self.size = size
        self._calls: deque[ApiCall] = deque(maxlen=size)
        #: Calls dropped to keep at most ``size`` (the oldest first).
        self.dropped = 0
        #: The ``call_id`` the next call gets.
        self.ids = Counter(1)
        #: Called with each call as it is recorded (e.g. ``hsnb emulator --api-log``); on the
        #: loop thread, so keep them quick.
        self.hooks: list[CallHook] = []
        self._seen: deque[str] = deque(maxlen=SEEN_CREDENTIALS)

    def __len__(self) -> int:
        return len(self._calls)

    def record(self, raw: RawCall, secrets: Iterable[str] = ()) -> ApiCall:
        """Keep ``raw``, redacted, as the next call; tell the hooks; return what was kept."""
        call = build_call(next(self.ids), raw, [*secrets, *self._seen])
        for secret in (raw.credential, *raw.hidden):
            if secret and secret not in self._seen:
                self._seen.append(secret)
        if len(self._calls) == self.size:
            self.dropped += 1
        self._calls.append(call)
        for hook in tuple(self.hooks):
            try:
                hook(call)
            except Exception:  # a subscriber's bug must not fail the request
                logger.exception("api log hook failed")
        return call

    def calls(self, since: int = 0, limit: int | None = None) -> list[ApiCall]:
        """The kept calls with ``call_id`` above ``since``, oldest first (at most ``limit``)."""
        found = [call for call in self._calls if call.call_id > since]
        return found if limit is None else found[:limit]

    def clear(self) -> None:
        """Forget every call; ids start again from 1 (an emulator's reset)."""
        self._calls.clear()
        self.dropped = 0
        self.ids = Counter(1)

    def restore(self, calls: Iterable[ApiCall], dropped: int, next_id: int) -> None:
        """Exactly ``calls`` kept (the newest ``size``; older ones count as dropped), as a loaded
        state had them."""
        kept = list(calls)
        self._calls = deque(kept, maxlen=self.size)
        self.dropped = dropped + len(kept) - len(self._calls)
        self.ids = Counter(next_id)
