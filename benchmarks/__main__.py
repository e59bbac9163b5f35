"""hsnb's benchmarks, each beside a baseline measured in the same run, printed as ratios.

Run: ``make bench`` (or ``python -m benchmarks [--seconds S] [--rounds N] ...``). Needs ``wrk``
(``apt-get install wrk``) and Flask (``pip install 'hsnb[bench]'``; without it that baseline is
left out, saying so).

1. **Throughput.** Each server runs alone in its own process (``benchmarks.servers``): a bare
   Tornado ACK handler, the same in Flask's development server, and ``hsnb.Listener``
   verifying ``event_hash`` and committing every callback to a WAL SQLite file with
   ``synchronous=FULL`` before its ACK. wrk, in another process, sends distinct signed multipart
   callbacks as fast as each answers. The servers take turns, round after round, so a busy
   machine slows all three alike; the ratios are per round. Afterwards the listener's store is
   counted: it holds every ACKed event (and at most the requests in flight when wrk stopped).
2. **Kernel responsiveness.** A trivial cell's round trip in a real kernel, idle and while the
   kernel's own listener takes a steady stream of callbacks (``benchmarks.kernel``).

All traffic stays on 127.0.0.1 and every run is bounded in time.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from benchmarks import kernel
from benchmarks.load import LoadResult, run_wrk, write_lua, wrk_path

DURABILITY = "WAL + synchronous=FULL, committed before each ACK (group commit)"
LABELS = {"tornado": "bare tornado ACK", "flask": "flask dev ACK", "listener": "hsnb listener"}


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One server of ``benchmarks.servers`` in its own process, until :meth:`stop`."""

    def __init__(self, kind: str, store: Path | None = None) -> None:
        self.port = free_port()
        args = [sys.executable, "-m", "benchmarks.servers", kind, str(self.port)]
        self.process = subprocess.Popen(
            args + ([str(store)] if store else []),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        if self.process.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
            self.process.kill()
            raise RuntimeError(f"the {kind} server did not start")
        self.url = f"http://127.0.0.1:{self.port}/callback"

    def cpu_seconds(self) -> float | None:
        """CPU time the server process used so far (all its threads), where /proc tells."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> str:
        """Stop the server (SIGTERM) and return what it printed on the way out."""
        self.process.terminate()
        out, _ = self.process.communicate(timeout=60)
        return out


def versions() -> str:
    """The versions a result depends on."""
    names = ["tornado", "flask"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return ", ".join(
        [f"Python {platform.python_version()}", *found, f"SQLite {sqlite3.sqlite_version}"]
        + ([wrk.split(" [")[0]] if wrk else [])
    )


def has_flask() -> bool:
    """Whether the Flask baseline can run."""
    try:
        metadata.version("flask")
    except metadata.PackageNotFoundError:
        return False
    return True


def throughput(args: argparse.Namespace) -> None:
    """Rounds of tornado, flask and the listener under wrk; print each run and the ratios."""
    kinds = ["tornado", "flask", "listener"] if has_flask() else ["tornado", "listener"]
    if "flask" not in kinds:
        print("flask dev ACK: Flask is not installed (pip install 'hsnb[bench]'); left out")
    print(
        f"throughput: wrk -t{args.threads} -c{args.connections} -d{args.seconds:g}s, "
        f"{args.rounds} rounds; listener store: {DURABILITY}"
    )
    ratios: dict[str, list[float]] = {"tornado": [], "flask": []}
    with tempfile.TemporaryDirectory() as folder:
        script = write_lua(Path(folder) / "callbacks.lua", per_thread=args.per_thread)
        for round_number in range(1, args.rounds + 1):
            rates: dict[str, float] = {}
            for kind in kinds:
                store = Path(folder) / f"round{round_number}.sqlite" if kind == "listener" else None
                server = Server(kind, store)
                try:
                    cpu_before = server.cpu_seconds()
                    result = run_wrk(
                        server.url,
                        script,
                        threads=args.threads,
                        connections=args.connections,
                        seconds=args.seconds,
                    )
                    cpu_after = server.cpu_seconds()
                finally:  # a failed run must not leave its server behind
                    said = server.stop()
                rates[kind] = result.rate
                cpu = ""
                if cpu_before is not None and cpu_after is not None and result.requests:
                    cpu = f"  cpu {(cpu_after - cpu_before) / result.requests * 1e6:4.0f} us/req"
                note = _stored_note(store, result, said) if store else ""
                print(_line(round_number, kind, result) + cpu + note)
            for base in ratios:
                if base in rates:
                    ratios[base].append(rates["listener"] / rates[base])
    for base, values in ratios.items():
        if values:
            print(
                f"listener / {LABELS[base]}: {statistics.median(values):.2f}x median, "
                f"{min(values):.2f}x to {max(values):.2f}x over {len(values)} rounds"
            )


def _line(round_number: int, kind: str, result: LoadResult) -> str:
    errors = f"  {result.errors} errors" if result.errors else ""
    return (
        f"round {round_number}  {LABELS[kind]:<17} {result.rate:7.0f} req/s  "
        f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms{errors}"
    )


def _stored_note(store: Path, result: LoadResult, said: str) -> str:
    from hsnb.store import EventStore

    reader = EventStore(store, read_only=True)
    stored = len(reader)
    reader.close()
    commits = next((int(x.split()[1]) for x in said.splitlines() if x.startswith("commits")), 0)
    verdict = "ok" if stored >= result.acks else "ACKED EVENTS MISSING"
    per_commit = f", {stored / commits:.1f} per commit" if commits else ""
    return f"  stored {stored} >= ACKed {result.acks}: {verdict}{per_commit}"


def responsiveness(args: argparse.Namespace) -> None:
    """The kernel benchmark: round trips idle and under load, printed with the counts."""
    print(
        f"kernel: a trivial cell's round trip, idle and while the kernel's listener takes "
        f"{args.kernel_rate:g} callbacks/s for {args.kernel_seconds:g} s ({DURABILITY})"
    )
    result = kernel.measure(args.kernel_rate, args.kernel_seconds)
    for name, values in (("idle", result.idle), ("loaded", result.loaded)):
        print(
            f"  {name:<6} p50 {kernel.p(values, 50):6.2f} ms  p99 {kernel.p(values, 99):6.2f} ms"
            f"  ({len(values)} cells)"
        )
    verdict = "ok" if result.stored >= result.acknowledged else "ACKED EVENTS MISSING"
    print(
        f"  sender: {result.sent} sent at {result.rate:.0f}/s, {result.acknowledged} ACKed; "
        f"stored {result.stored}: {verdict}"
    )


def main() -> None:
    """Parse the options, print the machine, run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="each wrk run (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all servers (3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--per-thread", type=int, default=40_000, help="distinct callbacks")
    parser.add_argument("--kernel-rate", type=float, default=500, help="callbacks/s (500)")
    parser.add_argument("--kernel-seconds", type=float, default=10, help="seconds (10)")
    parser.add_argument("--skip-kernel", action="store_true", help="throughput only")
    parser.add_argument("--skip-throughput", action="store_true", help="the kernel only")
    args = parser.parse_args()
    if wrk_path() is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}; {versions()}")
    if not args.skip_throughput:
        throughput(args)
    if not args.skip_kernel:
        responsiveness(args)


if __name__ == "__main__":
    main()
