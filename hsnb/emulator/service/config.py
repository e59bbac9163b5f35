"""Every setting of an emulator and its default, declared once.

``Emulator(**settings)`` and ``hsnb emulator --setting`` both read their defaults from
:class:`EmulatorConfig`; the backend, the clock, the rate limiter, the dispatcher and the
``file_urls`` fetcher are built from one instance of it. Nothing here imports tornado.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from hsnb.emulator.service import profiles
from hsnb.emulator.service.api_log import DEFAULT_SIZE as DEFAULT_API_LOG_SIZE
from hsnb.emulator.service.clock import Delay
from hsnb.emulator.service.file_urls import DEFAULT_MAX_BYTES

#: The choices of ``text_tag_error_event``: by the problem's reason, or one event for all.
TEXT_TAG_ERROR_EVENTS = ("by_reason", "file_error", "signature_request_invalid")
_DELAYS = ("processing_delay", "signing_delay", "file_prep_delay", "cancel_delay", "callback_delay")


@dataclass(frozen=True)
class RetryPolicy:
    """Dropbox Sign's retry rule: ``max_retries`` retries, ``base_delay * factor**(n-1)`` apart
    (at most ``max_delay``, when set); ``ack``: ``"contains"`` (a 200 whose body contains the
    ACK text counts) or ``"exact"`` (the body must be exactly it).

    ``timeout`` is per attempt, in emulated seconds.
    """

    base_delay: float = 300.0
    factor: float = 3.0
    max_retries: int = 6
    timeout: float = 30.0
    max_delay: float | None = None
    ack: str = "contains"


#: The retry horizons of :mod:`hsnb.emulator.service.profiles`: the legacy FAQ's schedule (last
#: retry 30 h 20 min after the first attempt), and "about 3 days" (the same, continued at most
#: 24 h apart: 8 retries, the last after 78 h 20 min).
RETRY_HORIZONS: dict[str, RetryPolicy] = {
    "30h": RetryPolicy(),
    "3d": RetryPolicy(max_retries=8, max_delay=86400.0),
}


@dataclass
class EmulatorConfig:
    """How an emulator behaves. Delays are in emulated seconds: a number, a
    :class:`~hsnb.emulator.service.clock.Delay`, or text such as ``"uniform:1,3"``.

    The emulated clock:

    * ``start_time``: emulated Unix time at start (``None``: now; a fixed value such as
      :data:`~hsnb.emulator.service.clock.DEFAULT_EPOCH` makes ``created_at`` and ``event_time``
      repeat).
    * ``time_scale``: real seconds per emulated second (``1e-6`` replays 30 hours of callback
      retries in a tenth of a second; ``None``: timers fire only on ``advance``).

    The service's delays:

    * ``processing_delay``: document conversion after create/send, before
      ``signature_request_sent`` (or the error event); files answer 409 meanwhile.
    * ``signing_delay``: how long a signer takes between opening the request and signing or
      declining (moves emulated time; zero signs at once).
    * ``file_prep_delay``: how long a new version of the files is prepared after each signature
      (files answer 409 meanwhile; ``signature_request_downloadable`` comes after the last one).
    * ``cancel_delay``: from the cancel call to ``signature_request_canceled``.
    * ``callback_delay``: the service's queueing lag, from an event to the first delivery
      attempt of each of its deliveries (drawn once per delivery; retries keep their schedule).

    The service's rules:

    * ``text_tag_error_event``: the event a malformed or mismatched text tag causes. Default
      ``"by_reason"``, because the help centre ("Best practices for Dropbox Sign callbacks")
      says "a ``file_error`` or ``signature_request_invalid`` callback ... depending on the
      reason": a malformed tag (the document cannot be converted as written) gives
      ``file_error``, as the HelloSign blog shows; a tag for a signer the request does not have
      (the request's data does not match the document) gives ``signature_request_invalid``, the
      legacy docs' "error while processing request data ... e.g. invalid text tags".
      UNCONFIRMED: that split is our reading; ``"file_error"`` or
      ``"signature_request_invalid"`` sends that one event for every tag problem.
    * ``sign_url_ttl``: sign URLs expire this long after they are made (and once opened).
    * ``file_url_ttl``: lifetime of ``files_as_file_url`` links. UNCONFIRMED; chosen: 3 days.
    * ``reminder_interval``: a signer cannot be reminded again within this time.
    * ``emit_sign_url_invalid``: opening a used or expired sign URL sends ``sign_url_invalid``.
    * ``account_email``: the emulated account's e-mail address.
    * ``strict_callback_urls``: refuse localhost, loopback and private callback URLs, and
      ``http://`` ones (HTTPS is required since 1 December 2024), when an account or app
      callback URL is set (400 ``bad_request``), as the real service does. Off by default so a
      local receiver on ``http://127.0.0.1`` works out of the box.
    * ``public_base_url`` (e.g. ``"https://api.hellosign.test"``): the scheme and host written
      into payloads and answers (``files_url``, sign URLs, file links) instead of
      ``http://127.0.0.1:PORT``, so stored logs carry no port.
    * ``rate_limit`` / ``high_tier_rate_limit`` / ``test_mode_rate_limit``: calls per minute per
      account, standard (100), high tier (25: sending, creating and downloading files; see
      :mod:`hsnb.emulator.service.ratelimit`) and test-mode creates (10), the help centre's
      numbers, so a client that passes locally does not meet its first 429 live (``None``: off).

    Contested choices (:mod:`hsnb.emulator.service.profiles` says each source and why each
    default): ``profile`` (``"default"`` or ``"strict"``, the reading hardest on a handler)
    gives ``retry_horizon`` (``"30h"`` / ``"3d"``), ``ack_rule`` (``"contains"`` / ``"exact"``),
    ``app_callbacks`` (``"both"`` / ``"app_only"``) and ``app_callback_account_id`` (``False`` /
    ``True``) their values unless one is set explicitly.

    Callbacks and downloads:

    * ``retry``: the :class:`RetryPolicy` of callback deliveries (default: the one
      ``retry_horizon`` and ``ack_rule`` make; one given here wins).
    * ``min_callback_timeout``: real seconds a receiver gets at the least, however fast time
      runs.
    * ``callback_concurrency``: attempts in flight at once per callback URL. 1 (the default):
      one at a time, so a receiver gets its callbacks in the order they were raised; more lets
      a heavy workload on scaled time keep up (each attempt waits for the receiver's commit),
      and callbacks may then overtake each other. UNCONFIRMED how many the real service sends
      at once; its callbacks do arrive out of order. Virtual time sends one at a time anyway.
    * ``file_fetch_timeout``: real seconds to download each ``file_urls`` entry;
      ``file_fetch_max_bytes``: the largest file accepted.
    * ``allow_private_file_urls``: download ``file_urls`` from this machine or a private
      network. Default ``None``: allowed when the emulator listens on a loopback address (only
      this machine can ask, and local test servers are the usual source), refused otherwise,
      so an emulator bound to ``0.0.0.0`` cannot be made to fetch, and serve back through
      ``/files``, what only it can reach.

    The emulator's own records and state:

    * ``api_log_size``: how many HTTP requests the request log keeps (``Emulator.api_log()``,
      :mod:`hsnb.emulator.service.api_log`); older ones are dropped and counted; 0 keeps none.
    * ``state``: a state file (``Emulator.save_state``) to start from instead of a fresh
      world (:mod:`hsnb.emulator.service.state_file`); the other settings still apply.

    Raises ``ValueError`` for a setting that cannot work.
    """

    start_time: float | None = None
    time_scale: float | None = 1.0
    processing_delay: Delay = field(default_factory=lambda: Delay.uniform(1.0, 3.0))
    signing_delay: Delay = field(default_factory=Delay.zero)
    file_prep_delay: Delay = field(default_factory=lambda: Delay.fixed(1.0))
    cancel_delay: Delay = field(default_factory=Delay.zero)
    callback_delay: Delay = field(default_factory=Delay.zero)
    text_tag_error_event: str = "by_reason"
    sign_url_ttl: float = 3600.0
    file_url_ttl: float = 3 * 86400.0
    reminder_interval: float = 3600.0
    emit_sign_url_invalid: bool = True
    account_email: str = "me@example.com"
    strict_callback_urls: bool = False
    public_base_url: str | None = None
    rate_limit: int | None = 100
    high_tier_rate_limit: int | None = 25
    test_mode_rate_limit: int | None = 10
    profile: str = "default"
    retry_horizon: str | None = None
    ack_rule: str | None = None
    app_callbacks: str | None = None
    app_callback_account_id: bool | None = None
    retry: RetryPolicy | None = None
    #: The profile's switches as they apply (explicit settings over the profile's), set at init.
    switches: dict[str, Any] = field(init=False, repr=False, default_factory=dict)
    #: Whether ``retry`` was made from the switches (so a changed profile makes it anew).
    retry_from_profile: bool = field(init=False, repr=False, default=False)
    min_callback_timeout: float = 1.0
    callback_concurrency: int = 1
    file_fetch_timeout: float = 10.0
    file_fetch_max_bytes: int = DEFAULT_MAX_BYTES
    allow_private_file_urls: bool | None = None
    api_log_size: int = DEFAULT_API_LOG_SIZE
    state: str | os.PathLike[str] | None = None

    def __post_init__(self) -> None:
        for name in _DELAYS:
            setattr(self, name, Delay.parse(getattr(self, name)))
        if self.text_tag_error_event not in TEXT_TAG_ERROR_EVENTS:
            raise ValueError(
                "text_tag_error_event must be by_reason, file_error or signature_request_invalid"
            )
        if not self.file_fetch_timeout > 0:
            raise ValueError(
                f"file_fetch_timeout must be positive, not {self.file_fetch_timeout!r}"
            )
        if isinstance(self.callback_concurrency, bool) or not (
            isinstance(self.callback_concurrency, int) and self.callback_concurrency >= 1
        ):
            raise ValueError(
                "callback_concurrency must be a whole number >= 1,"
                f" not {self.callback_concurrency!r}"
            )
        if not self.api_log_size >= 0:
            raise ValueError(f"api_log_size must be 0 or more, not {self.api_log_size!r}")
        if not self.file_fetch_max_bytes > 0:
            raise ValueError(
                f"file_fetch_max_bytes must be positive, not {self.file_fetch_max_bytes!r}"
            )
        self.public_base_url = _origin_only(self.public_base_url)
        switches = profiles.resolve(
            self.profile,
            retry_horizon=self.retry_horizon,
            ack_rule=self.ack_rule,
            app_callbacks=self.app_callbacks,
            app_callback_account_id=self.app_callback_account_id,
        )
        self.switches = switches
        self.retry_from_profile = self.retry is None
        if self.retry is None:
            policy = RETRY_HORIZONS[switches["retry_horizon"]]
            self.retry = dataclasses.replace(policy, ack=switches["ack_rule"])

    @classmethod
    def with_settings(cls, base: EmulatorConfig | None = None, **settings: Any) -> EmulatorConfig:
        """``base`` (default: every default) with ``settings`` changed; a ``TypeError`` names
        a setting that does not exist."""
        unknown = sorted(set(settings) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise TypeError(
                f"unknown emulator setting {', '.join(unknown)}: see hsnb.emulator.EmulatorConfig"
            )
        base = base or cls()
        if "retry" not in settings and base.retry_from_profile:
            settings["retry"] = None  # made anew from the (maybe changed) switches
        return dataclasses.replace(base, **settings)


def _origin_only(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL without path or query; ``ValueError`` else."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"public_base_url must be an http(s) URL with a host, not {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"public_base_url must have no path or query: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"
