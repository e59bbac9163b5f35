"""The ``hsnb`` command line: listen, trigger, replay, export, live, tour and emulator.

API keys come from ``--api-key`` or the environment (``DROPBOX_SIGN_API_KEY``, then
``HSNB_API_KEY``: :mod:`hsnb.environment`) and are never printed; an empty one is an error, not
"no verification". What a sender put in a request is escaped before it reaches the terminal
(:func:`hsnb.terminal.printable`). Each command imports what it needs when it runs, so
``hsnb --help`` and ``hsnb trigger`` start without pandas or the emulator.
"""

from __future__ import annotations

import argparse
import queue
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hsnb import __version__, cli_answers, environment, terminal
from hsnb.cli_answers import describe_answer
from hsnb.emulator import command as emulator_command
from hsnb.errors import ConfigError, HsnbError
from hsnb.events import KNOWN_EVENT_TYPES
from hsnb.simulation import command as simulate_command

if TYPE_CHECKING:
    from hsnb.listener import Listener

API_KEY_ENV = environment.API_KEY_VARIABLES[0]


def _api_key(args: argparse.Namespace) -> str | None:
    if args.api_key is not None and not args.api_key.strip():
        raise ConfigError("--api-key is empty: give the key, or leave the option out")
    return args.api_key or environment.api_key()


def _start_listener(args: argparse.Namespace, key: str | None) -> Listener:
    """The listener of ``hsnb listen`` and ``hsnb live``; says on stderr if it verifies nothing."""
    from hsnb.listener import Listener

    answering = cli_answers.listener_options(args) if args.command == "listen" else {}
    listener = Listener(
        args.store,
        api_keys=[key] if key else [],
        host=args.host,
        port=args.port,
        name="cli",
        tolerance=args.tolerance,
        **answering,
    )
    if not key:
        print(
            f"hsnb {args.command}: no API key, so event_hash is not verified "
            f"(give --api-key or set {API_KEY_ENV})",
            file=sys.stderr,
            flush=True,
        )
    return listener


def cmd_listen(args: argparse.Namespace) -> int:
    """Run a standalone listener until SIGINT/SIGTERM, one line per delivery."""
    key = _api_key(args)
    lines: queue.Queue[str] = queue.Queue()
    listener = _start_listener(args, key)
    pump = terminal.print_until_signal(lines)
    listener.on_delivery(lambda answer: lines.put(describe_answer(answer)))
    print(f"listening on {listener.url}", flush=True)
    for line in cli_answers.announce(listener):
        terminal.print_line(line)
    if args.answer_stdin:
        cli_answers.read_rules(sys.stdin, listener, lines)
    try:
        pump()
    finally:
        listener.stop()
        terminal.drain(lines)
        print(f"stopped; {len(listener.store)} events in {listener.store.path}", flush=True)
    return 0


def cmd_trigger(args: argparse.Namespace) -> int:
    """Send one signed callback, or a scenario's, to --url; exit 0 only if every delivery sent
    was acknowledged."""
    from hsnb.payloads import parse_override
    from hsnb.trigger import customise, sample_payload, scenario, send_callback

    key = _api_key(args)
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


def cmd_export(args: argparse.Namespace) -> int:
    """Write a log's events (and a store's deliveries) as CSV, JSON lines or Parquet into --out.

    The log is an event store, or a JSON-lines file of raw payloads (:mod:`hsnb.logs.jsonl`).
    Parquet is written in batches, split into a folder per day unless ``--partition none``.
    """
    from hsnb.logs import is_store_file

    source = Path(args.store)
    if not source.is_file():
        raise ConfigError(f"no event log at {source}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.format == "parquet":
        return _export_parquet(source, out, args.partition)
    if is_store_file(source):
        from hsnb.analysis import read_log

        log = read_log(source)
        frames = {"events": log.events, "deliveries": log.deliveries}
    else:
        from hsnb.logs.jsonl import read_jsonl

        frames = {"events": read_jsonl(source)}
    for name, frame in frames.items():
        target = out / f"{name}.{args.format}"
        if args.format == "csv":
            frame.to_csv(target, index=False)
        else:
            frame.to_json(target, orient="records", lines=True, date_format="iso")
        print(f"{target}: {len(frame)} rows", flush=True)
    return 0


def _export_parquet(source: Path, out: Path, partition: str) -> int:
    import pyarrow.dataset as ds

    from hsnb.logs import is_store_file
    from hsnb.logs.jsonl import jsonl_batches
    from hsnb.logs.parquet import export_store, write_parquet

    if is_store_file(source):
        folders = export_store(source, out, partition=partition)
    else:
        folders = {
            "events": write_parquet(jsonl_batches(source), out / "events", partition=partition)
        }
    for folder in folders.values():
        rows = ds.dataset(folder, format="parquet").count_rows()
        print(f"{folder}/: {rows} rows", flush=True)
    return 0


def cmd_live(args: argparse.Namespace) -> int:
    """Receive real callbacks: listener + public URL + registration + check, until a signal.

    The callback URL registered before is put back on exit. Exit 2 when setup is impossible
    (the message says what is missing), 1 when the end-to-end check fails.
    """
    from hsnb.errors import LiveSetupError
    from hsnb.live import connect

    key = _api_key(args)
    lines: queue.Queue[str] = queue.Queue()
    listener = _start_listener(args, key)
    try:
        session = connect(
            api_key=key,
            public_url=args.public_url,
            tunnel=args.tunnel,
            app=args.app or False,
            base_url=args.base_url,
            listener=listener,
            allow_localhost=args.allow_localhost,
        )
    except LiveSetupError as error:
        listener.stop()
        print(f"hsnb live: {error}", file=sys.stderr)
        return 2
    listener.on_delivery(lambda answer: lines.put(describe_answer(answer)))
    print(f"listening on {listener.url}", flush=True)
    print(f"callback URL ({session.target}): {session.callback_url}", flush=True)
    try:
        check = session.check(timeout=args.timeout)  # Ctrl-C here interrupts at once
        print(check.explain(), flush=True)
        if check.ok:
            terminal.print_until_signal(lines)()
    finally:
        session.close(restore=True)
        listener.stop()
        terminal.drain(lines)
        print(f"stopped; {len(listener.store)} events in {listener.store.path}", flush=True)
    return 0 if check.ok else 1


def cmd_tour(args: argparse.Namespace) -> int:
    """Run the headless tour on the built-in emulator."""
    from hsnb.tour import run_tour

    run_tour(lambda line: print(line, flush=True), seed=args.seed)
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hsnb`` command."""
    parser = argparse.ArgumentParser(prog="hsnb", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"hsnb {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    listen = commands.add_parser("listen", help="receive callbacks into an event store")
    listen.add_argument("--host", default="127.0.0.1")
    listen.add_argument("--port", type=int, default=0)
    listen.add_argument("--api-key", help=f"verify event_hash with this key (or ${API_KEY_ENV})")
    listen.add_argument("--store", default="hsnb-events.sqlite", help="SQLite file to write")
    _add_tolerance(listen)
    cli_answers.add_arguments(listen)
    listen.set_defaults(func=cmd_listen)

    add_trigger_parser(commands)
    add_replay_parser(commands)

    export = commands.add_parser(
        "export", help="write a log's events and deliveries as CSV, JSON lines or Parquet"
    )
    export.add_argument("store", help="an event store file, or JSON lines of raw payloads")
    export.add_argument("--out", default=".", help="folder for events.* and deliveries.*")
    export.add_argument("--format", choices=["csv", "jsonl", "parquet"], default="csv")
    export.add_argument(
        "--partition",
        choices=["day", "none"],
        default="day",
        help="Parquet: a folder per UTC day (day=YYYY-MM-DD), or none",
    )
    export.set_defaults(func=cmd_export)

    live = commands.add_parser("live", help="receive real callbacks through a public URL")
    live.add_argument(
        "--public-url", help="a tunnel or host forwarding to --port ($HSNB_PUBLIC_URL)"
    )
    live.add_argument("--tunnel", action="store_true", help="open an ngrok tunnel (hsnb[tunnel])")
    live.add_argument("--app", help="register on this API app's callback instead of the account")
    live.add_argument("--api-key", help=f"the account's API key (or ${API_KEY_ENV})")
    live.add_argument("--base-url", help="API base URL (default: the real API)")
    live.add_argument("--host", default="127.0.0.1")
    live.add_argument("--port", type=int, default=0, help="the port your tunnel forwards to")
    live.add_argument("--store", default="hsnb-events.sqlite", help="SQLite file to write")
    _add_tolerance(live)
    live.add_argument("--timeout", type=float, default=30.0, help="seconds for the check")
    live.add_argument(
        "--allow-localhost", action="store_true", help="rehearsal against a local emulator only"
    )
    live.set_defaults(func=cmd_live)

    tour = commands.add_parser("tour", help="walk a signature request's life on the emulator")
    tour.add_argument("--seed", type=int, default=7, help="the emulator's seed (ids repeat)")
    tour.set_defaults(func=cmd_tour)

    simulate = commands.add_parser("simulate", help="run a seeded workload into an event store")
    simulate_command.add_arguments(simulate)
    simulate.set_defaults(func=simulate_command.run)

    emulator = commands.add_parser("emulator", help="serve the Dropbox Sign API emulator")
    emulator_command.add_arguments(emulator)
    emulator.set_defaults(func=emulator_command.run)
    return parser


def _add_tolerance(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tolerance",
        type=float,
        metavar="SECONDS",
        help="also refuse events whose event_time is further than this from now (default: no "
        "window; Dropbox Sign retries keep their event_time and come up to 30 hours late)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hsnb`` command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HsnbError as error:  # e.g. a port already taken: one plain line, no traceback
        print(f"hsnb: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
