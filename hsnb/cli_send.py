"""``hsnb trigger`` and ``hsnb replay``: signed callbacks sent to a URL, the way Dropbox Sign
sends them, each answer judged as Dropbox Sign would (see :mod:`hsnb.trigger` and
:mod:`hsnb.resending`). Keys are never printed."""

from __future__ import annotations

import argparse
import sys

from hsnb import environment
from hsnb.events import KNOWN_EVENT_TYPES

API_KEY_ENV = environment.API_KEY_VARIABLES[0]


def cmd_trigger(args: argparse.Namespace) -> int:
    """Send one signed callback, or a scenario's, to --url; exit 0 only if every delivery sent
    was acknowledged."""
    from hsnb.payloads import parse_override
    from hsnb.trigger import customise, sample_payload, scenario, send_callback

    key = environment.given_or_api_key(args.api_key)
    if not key:
        print(f"hsnb trigger: give --api-key or set {API_KEY_ENV}", file=sys.stderr)
        return 2
    if (args.event_type is None) == (args.scenario is None):
        print("hsnb trigger: give either an EVENT_TYPE or --scenario", file=sys.stderr)
        return 2
    overrides = [parse_override(text) for text in args.override]
    if args.scenario:
        report = scenario(
            args.scenario,
            args.url,
            key,
            signers=args.signers,
            duplicates=args.duplicates,
            disorder=args.disorder,
            loss=args.loss,
            delay=args.delay,
            seed=args.seed,
            app=args.app,
            overrides=overrides,
            start_time=args.event_time,
            signature_request_id=args.signature_request_id,
            timeout=args.timeout,
            on_delivery=lambda delivery: print(delivery.describe(), flush=True),
        )
        print(report.summary(), flush=True)
        return 0 if report.ok else 1
    if args.event_type not in KNOWN_EVENT_TYPES:
        print(f"note: {args.event_type!r} is not a known event type; sending it anyway")
    payload = sample_payload(
        args.event_type,
        key,
        event_time=args.event_time,
        seed=args.seed,
        signature_request_id=args.signature_request_id,
        client_id=args.app,
    )
    if overrides:
        payload = customise(payload, key, overrides)
    result = send_callback(args.url, payload, timeout=args.timeout)
    print(f"{payload['event']['event_type']} -> {args.url}: {result.explain()}", flush=True)
    return 0 if result.acknowledged else 1


def cmd_replay(args: argparse.Namespace) -> int:
    """POST a stored log's events to --url again, in arrival order, as Dropbox Sign would.

    As stored (their ``event_hash`` included) unless --api-key re-signs them; --fresh-times
    shifts every ``event_time`` so the latest is now (and re-signs, with --api-key or the
    key in the environment). Exit 0 if all were acknowledged.
    """
    from hsnb.resending import resend

    key = args.api_key or (environment.api_key() if args.fresh_times else None)
    if args.fresh_times and not key:
        print(
            f"hsnb replay: --fresh-times re-signs each event: give --api-key or set {API_KEY_ENV}",
            file=sys.stderr,
        )
        return 2
    report = resend(
        args.store,
        args.url,
        api_key=key,
        fresh_times=args.fresh_times,
        event_types=args.event_types,
        signature_request_id=args.request,
        since=args.since,
        until=args.until,
        rate=args.rate,
        timeout=args.timeout,
        on_result=lambda resent: print(resent.describe(), flush=True),
    )
    print(report.summary(), flush=True)
    return 0 if report.ok else 1


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a probability from 0 to 1, not {text}")
    return value


def _seconds_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition(",")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"seconds, or low,high seconds, not {text!r}") from None
    if not 0 <= bounds[0] <= bounds[1]:
        raise argparse.ArgumentTypeError(f"need 0 <= low <= high, not {text!r}")
    return bounds


def add_trigger_parser(commands: argparse._SubParsersAction) -> None:
    """``hsnb trigger``: one event, or a scenario, with overrides and app callbacks."""
    from hsnb.scenarios import SCENARIOS

    trigger = commands.add_parser(
        "trigger",
        help="send signed test callbacks to a URL",
        description="Send one signed callback (EVENT_TYPE) or a request's whole life "
        "(--scenario) to --url, the way Dropbox Sign does, and judge each answer.",
    )
    trigger.add_argument(
        "event_type", metavar="EVENT_TYPE", nargs="?", help="e.g. signature_request_sent"
    )
    trigger.add_argument("--url", required=True, help="the callback URL to test")
    trigger.add_argument("--api-key", help=f"sign with this key (or ${API_KEY_ENV})")
    trigger.add_argument(
        "--event-time", type=int, help="Unix seconds (default: now; a scenario's first event)"
    )
    trigger.add_argument("--seed", type=int, help="make ids (and a scenario's plan) reproducible")
    trigger.add_argument("--signature-request-id", help="use this signature request id")
    trigger.add_argument("--timeout", type=float, default=30.0, help="seconds (Dropbox Sign: 30)")
    trigger.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="set a payload field by dotted path (signature_request.title=NDA; JSON values "
        "like 3, true, null, {...} are parsed); repeatable; event_hash is signed again",
    )
    trigger.add_argument(
        "--app", metavar="CLIENT_ID", help="an app callback: reported_for_app_id=CLIENT_ID"
    )
    trigger.add_argument("--scenario", choices=SCENARIOS, help="send a request's whole life")
    trigger.add_argument("--signers", type=int, default=2, help="signers in a scenario (1-4)")
    trigger.add_argument(
        "--duplicates", type=_probability, default=0.0, help="chance each event is sent twice"
    )
    trigger.add_argument(
        "--disorder", type=_probability, default=0.0, help="chance each event arrives late"
    )
    trigger.add_argument(
        "--loss", type=_probability, default=0.0, help="chance each event is never sent"
    )
    trigger.add_argument(
        "--delay",
        type=_seconds_range,
        default=(0.0, 0.0),
        metavar="S|LOW,HIGH",
        help="pause before each delivery, seconds (a range draws from it)",
    )
    trigger.set_defaults(func=cmd_trigger)


def add_replay_parser(commands: argparse._SubParsersAction) -> None:
    """``hsnb replay``: re-send a stored log, re-signed, fresh, filtered, paced."""
    replay = commands.add_parser(
        "replay",
        help="POST a stored log's events to a URL again",
        description="POST a stored log's events to --url again, as stored unless told "
        "otherwise, and judge each answer as Dropbox Sign would.",
    )
    replay.add_argument("store", help="an event store file (e.g. hsnb-events.sqlite)")
    replay.add_argument("--url", required=True, help="the callback URL to replay to")
    replay.add_argument("--api-key", help="re-sign every event_hash with this key")
    replay.add_argument(
        "--fresh-times",
        action="store_true",
        help="shift every event_time by one offset so the latest is now (re-signs; key from "
        f"--api-key or ${API_KEY_ENV})",
    )
    replay.add_argument(
        "--event-type",
        dest="event_types",
        action="append",
        metavar="TYPE",
        help="only events of this type (repeatable)",
    )
    replay.add_argument("--request", metavar="ID", help="only this signature request's events")
    replay.add_argument("--since", help="only events with event_time >= this (Unix s or ISO)")
    replay.add_argument("--until", help="only events with event_time < this (Unix s or ISO)")
    replay.add_argument("--rate", type=float, help="at most this many deliveries per second")
    replay.add_argument("--timeout", type=float, default=30.0, help="seconds per delivery")
    replay.set_defaults(func=cmd_replay)
