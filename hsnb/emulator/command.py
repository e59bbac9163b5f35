"""``hsnb emulator``: serve the Dropbox Sign emulator standalone until SIGINT or SIGTERM.

Its first three lines are ``api: <base URL ending in /v3>``, ``api_key: <key>`` and
``client_id: <the default API app's client id>`` (flushed at once, so a script can read them;
a key given with ``--api-key`` may be a real one, so it is not printed back); then one line per
callback attempt::

    acknowledged 200 signature_request_sent 5b1c... attempt 1 -> http://127.0.0.1:8000/callback

With ``--api-log``, also one line per HTTP request it answers, as it happens (like ``stripe logs
tail``; redacted, no key ever printed): its plane (``api``, ``control``, ``page``), status,
method, path, ``error_name`` if any and real duration::

    api 200 POST /v3/signature_request/create_embedded 9 ms
    api 401 GET /v3/account unauthorized 1 ms

``--state FILE`` starts from a state saved by ``Emulator.save_state`` (or ``--save-state``);
``--save-state FILE`` writes the state when the emulator is stopped (SIGINT or SIGTERM) and
says ``state saved: FILE`` (on failure it says why on stderr and exits with 1).

``hsnb.cli`` wires :func:`add_arguments` and :func:`run` in; ``python -m hsnb.emulator.command``
runs it directly.
"""

from __future__ import annotations

import argparse
import queue
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hsnb import terminal
from hsnb.emulator.service.clock import DEFAULT_EPOCH
from hsnb.emulator.service.config import EmulatorConfig
from hsnb.emulator.service.profiles import PROFILES

if TYPE_CHECKING:
    from hsnb.emulator.service.api_log import ApiCall
    from hsnb.emulator.service.dispatcher import Attempt

#: The settings ``hsnb emulator`` offers, with their help; each option is ``--`` plus the
#: setting's name with dashes, and its default is :class:`EmulatorConfig`'s.
SETTINGS: dict[str, str] = {
    "start_time": f"emulated start: Unix seconds, 'now' or 'epoch' ({DEFAULT_EPOCH})",
    "time_scale": "real seconds per emulated second",
    "processing_delay": "document conversion, e.g. 0, 2.5, uniform:1,3",
    "signing_delay": "a signer's time to sign",
    "file_prep_delay": "files answer 409 this long after each signature",
    "callback_delay": "queueing lag before each first callback attempt",
    "public_base_url": "scheme and host written into payload URLs instead of http://127.0.0.1:PORT",
    "profile": "contested choices: default or strict (the reading hardest on a handler)",
    "retry_horizon": "callback retries: 30h (legacy FAQ) or 3d (glossary; default: the profile's)",
    "ack_rule": "ACK body: contains or exact (default: the profile's)",
    "app_callbacks": "app requests' events: both (account, app) or app_only (default: profile's)",
    "strict_callback_urls": "refuse localhost, private and http:// callback URLs, as Dropbox Sign",
    "file_fetch_timeout": "real seconds to download each file_urls entry",
    "callback_concurrency": "callback attempts in flight at once per URL (1: in order)",
    "rate_limit": "calls per minute (0: no limit)",
    "high_tier_rate_limit": "send/create/files calls per minute (0: no limit)",
    "test_mode_rate_limit": "test-mode creates per minute (0: no limit)",
    "api_log_size": "HTTP requests the request log keeps (0: none)",
    "state": "start from this state file (Emulator.save_state, --save-state)",
}
DEFAULTS = EmulatorConfig()
#: Settings offered with a fixed set of values (``--profile`` and the profiles' switches).
CHOICES: dict[str, tuple[str, ...]] = {
    "profile": tuple(PROFILES),
    "retry_horizon": ("30h", "3d"),
    "ack_rule": ("contains", "exact"),
    "app_callbacks": ("both", "app_only"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's options (defaults from :class:`EmulatorConfig`)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument("--seed", type=int, default=0, help="seed for ids and delays (default 0)")
    parser.add_argument("--api-key", help="the account's API key (default: drawn from the seed)")
    parser.add_argument("--callback-url", help="the account callback URL")
    parser.add_argument("--app-callback-url", help="the default API app's callback URL")
    parser.add_argument(
        "--api-log", action="store_true", help="print one line per HTTP request answered"
    )
    parser.add_argument("--save-state", metavar="FILE", help="save the state here when stopped")
    for name, text in SETTINGS.items():
        option = "--" + name.replace("_", "-")
        default = getattr(DEFAULTS, name)
        if isinstance(default, bool):
            parser.add_argument(option, action="store_true", help=text)
            continue
        if name in CHOICES:  # a profile's switch is unset unless given: the profile decides
            shown = "" if default is None else f" (default {default})"
            parser.add_argument(option, choices=CHOICES[name], help=text + shown)
            continue
        shown = "now" if name == "start_time" and default is None else default
        parser.add_argument(option, type=_PARSE.get(name, str), help=f"{text} (default {shown})")
    parser.set_defaults(**{name: getattr(DEFAULTS, name) for name in SETTINGS})


def describe_attempt(attempt: Attempt) -> str:
    """One output line for a callback attempt."""
    status = attempt.status if attempt.status is not None else "-"
    subject = attempt.signature_request_id or "-"
    return (
        f"{attempt.outcome} {status} {attempt.event_type} {subject} "
        f"attempt {attempt.attempt} -> {attempt.url}"
    )


def describe_call(call: ApiCall) -> str:
    """One output line for a request the emulator answered (already redacted)."""
    target = f"{call.path}?{call.query}" if call.query else call.path
    error = f" {call.error_name}" if call.error_name else ""
    return f"{call.plane} {call.status} {call.method} {target}{error} {call.duration * 1000:.0f} ms"


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM, printing the three lines and then one line per attempt."""
    from hsnb.emulator.server import Emulator

    lines: queue.Queue[str] = queue.Queue()
    pump = terminal.print_until_signal(lines)
    emulator = Emulator(
        seed=args.seed,
        api_key=args.api_key,
        callback_url=args.callback_url,
        app_callback_url=args.app_callback_url,
        name="cli",
        host=args.host,
        port=args.port,
        **{name: getattr(args, name) for name in SETTINGS},
    )
    emulator.on_attempt(lambda attempt: lines.put(describe_attempt(attempt)))
    if args.api_log:
        emulator.on_api_call(lambda call: lines.put(describe_call(call)))
    print(f"api: {emulator.api_url}", flush=True)
    shown = emulator.api_key if args.api_key is None else "(given with --api-key, not shown)"
    print(f"api_key: {shown}", flush=True)
    print(f"client_id: {emulator.client_id}", flush=True)
    saved = 0
    try:
        pump()
        if args.save_state:
            saved = _save(emulator, args.save_state)
    finally:
        emulator.stop()
        terminal.drain(lines)
    return saved


def _save(emulator: Any, path: str) -> int:
    """Save the state to ``path``: 0, or 1 with the reason on stderr."""
    from hsnb.errors import HsnbError

    try:
        emulator.save_state(path)
    except HsnbError as exc:
        print(f"state not saved: {exc}", file=sys.stderr, flush=True)
        return 1
    print(f"state saved: {path}", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hsnb.emulator.command [options]``."""
    parser = argparse.ArgumentParser(prog="hsnb emulator", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


def _start_time(text: str) -> float | None:
    if text == "now":
        return None
    if text == "epoch":
        return float(DEFAULT_EPOCH)
    return float(text)


def _limit(text: str) -> int | None:
    return int(text) or None


_PARSE: dict[str, Callable[[str], Any]] = {
    "start_time": _start_time,
    "time_scale": float,
    "file_fetch_timeout": float,
    "rate_limit": _limit,
    "high_tier_rate_limit": _limit,
    "test_mode_rate_limit": _limit,
    "api_log_size": int,
}


if __name__ == "__main__":
    sys.exit(main())
