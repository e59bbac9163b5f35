"""The ``hsnb`` command line: listen, trigger, replay, export, live, tour, simulate, emulator.

API keys come from ``--api-key`` or the environment (``DROPBOX_SIGN_API_KEY``, then
``HSNB_API_KEY``: :mod:`hsnb.environment`) and are never printed; an empty one is an error, not
"no verification". What a sender put in a request is escaped before it reaches the terminal
(:func:`hsnb.terminal.printable`). Each command imports what it needs when it runs, so
``hsnb --help`` and ``hsnb trigger`` start without pandas or the emulator. ``trigger`` and
``replay`` live in :mod:`hsnb.cli_send`, ``listen``'s relay and answers in :mod:`hsnb.cli_answers`.
"""

from __future__ import annotations

import argparse
import queue
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hsnb import __version__, cli_answers, cli_send, environment, terminal
from hsnb.cli_answers import describe_answer
from hsnb.emulator import command as emulator_command
from hsnb.errors import ConfigError, HsnbError
from hsnb.simulation import command as simulate_command

if TYPE_CHECKING:
    from hsnb.listener import Listener

API_KEY_ENV = environment.API_KEY_VARIABLES[0]


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
    key = environment.given_or_api_key(args.api_key)
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
    from hsnb.live import check_setup, connect

    key = environment.given_or_api_key(args.api_key)
    public_url = args.public_url if args.public_url is not None else environment.public_url()
    try:  # before the listener opens its store: a setup that cannot work leaves nothing behind
        check_setup(key, public_url, tunnel=args.tunnel, allow_localhost=args.allow_localhost)
    except LiveSetupError as error:
        print(f"hsnb live: {error}", file=sys.stderr)
        return 2
    lines: queue.Queue[str] = queue.Queue()
    listener = _start_listener(args, key)
    try:
        session = connect(
            api_key=key,
            public_url=public_url,
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

    cli_send.add_trigger_parser(commands)
    cli_send.add_replay_parser(commands)

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
