"""``hsnb emulator``: serve the Dropbox Sign emulator standalone until SIGINT or SIGTERM.

Its first three lines are ``api: <base URL ending in /v3>``, ``api_key: <key>`` and
``client_id: <the default API app's client id>`` (flushed at once, so a script can read them);
then one line per callback attempt::

    acknowledged 200 signature_request_sent 5b1c... attempt 1 -> http://127.0.0.1:8000/callback

``hsnb.cli`` wires :func:`add_arguments` and :func:`run` in; ``python -m hsnb.emulator.command``
runs it directly.
"""

from __future__ import annotations

import argparse
import queue
import sys
from collections.abc import Sequence

from hsnb import serving
from hsnb.emulator.clock import DEFAULT_EPOCH
from hsnb.emulator.dispatcher import Attempt
from hsnb.emulator.server import Emulator


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's options."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument("--seed", type=int, default=0, help="seed for ids and delays (default 0)")
    parser.add_argument("--api-key", help="the account's API key (default: drawn from the seed)")
    parser.add_argument("--callback-url", help="the account callback URL")
    parser.add_argument("--app-callback-url", help="the default API app's callback URL")
    parser.add_argument(
        "--public-base-url",
        help="scheme and host written into payload URLs instead of http://127.0.0.1:PORT",
    )
    parser.add_argument(
        "--start-time",
        default="now",
        help=f"emulated start, Unix seconds, 'now' or 'epoch' ({DEFAULT_EPOCH}); default now",
    )
    parser.add_argument(
        "--strict-callback-urls",
        action="store_true",
        help="refuse localhost and private callback URLs, as Dropbox Sign does",
    )
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="real seconds per emulated second"
    )
    parser.add_argument(
        "--processing-delay", default="uniform:1,3", help="e.g. 0, 2.5, uniform:1,3"
    )
    parser.add_argument("--signing-delay", default="0", help="a signer's time to sign")
    parser.add_argument("--file-prep-delay", default="1", help="files answer 409 this long")
    parser.add_argument(
        "--callback-delay", default="0", help="queueing lag before each first callback attempt"
    )
    parser.add_argument(
        "--file-fetch-timeout",
        type=float,
        default=10.0,
        help="real seconds to download each file_urls entry (default 10)",
    )
    parser.add_argument(
        "--rate-limit", type=int, default=100, help="calls per minute (0: no limit)"
    )
    parser.add_argument(
        "--test-mode-rate-limit", type=int, default=10, help="test-mode creates per minute (0: off)"
    )


def describe_attempt(attempt: Attempt) -> str:
    """One output line for a callback attempt."""
    status = attempt.status if attempt.status is not None else "-"
    subject = attempt.signature_request_id or "-"
    return (
        f"{attempt.outcome} {status} {attempt.event_type} {subject} "
        f"attempt {attempt.attempt} -> {attempt.url}"
    )


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM, printing the three lines and then one line per attempt."""
    lines: queue.Queue[str] = queue.Queue()
    pump = serving.print_until_signal(lines)
    emulator = Emulator(
        seed=args.seed,
        api_key=args.api_key,
        callback_url=args.callback_url,
        app_callback_url=args.app_callback_url,
        public_base_url=args.public_base_url,
        strict_callback_urls=args.strict_callback_urls,
        name="cli",
        host=args.host,
        port=args.port,
        start_time=_start_time(args.start_time),
        time_scale=args.time_scale,
        processing_delay=args.processing_delay,
        signing_delay=args.signing_delay,
        file_prep_delay=args.file_prep_delay,
        callback_delay=args.callback_delay,
        file_fetch_timeout=args.file_fetch_timeout,
        rate_limit=args.rate_limit or None,
        test_mode_rate_limit=args.test_mode_rate_limit or None,
    )
    emulator.on_attempt(lambda attempt: lines.put(describe_attempt(attempt)))
    print(f"api: {emulator.api_url}", flush=True)
    print(f"api_key: {emulator.api_key}", flush=True)
    print(f"client_id: {emulator.client_id}", flush=True)
    try:
        pump()
    finally:
        emulator.stop()
        serving.drain(lines)
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


if __name__ == "__main__":
    sys.exit(main())
