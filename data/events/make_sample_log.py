"""Build the sample event log in data/events/ from real callbacks: Emulator -> HTTP -> Listener.

    python data/events/make_sample_log.py            # writes sample-log.sqlite, CSV and JSONL

Seven signature requests live through one emulated working day (Monday 2026-01-05, UTC):
two-signer happy paths, a decline, a file_error, a cancel, a listener refusing callbacks for
twenty minutes (deployed with a stale API key), a duplicated and a lost delivery, and two stray
requests that are not callbacks. See README.md for what each column means.

How time works: the emulator runs on a manual clock (``time_scale=None``) that this script moves
from one due timer to the next (``Emulator.next_deadline``), waiting after each step until the
callbacks due at that moment have been answered (``Emulator.wait_idle``); so hours of emulated
time take a fraction of a second, and no emulated time passes while a callback is on the wire.
The listener stamps each callback with the emulator's clock itself (the emulator signs its clock
into every attempt; see hsnb.clock_header). Where it cannot (the twenty minutes with a stale
key, the stray requests) it keeps wall-clock time, which says nothing under compression; so this
script also records the emulator's clock when the listener stored each delivery (a delivery
hook, on the server thread), writes that into those rows afterwards, and checks it against the
rows the listener stamped. Same seed, same log.

Delays: document processing, a signer's time on the page, file preparation and cancellation are
drawn by the emulator (seeded); when signers open their e-mail and how long the service's own
queue holds a callback (0.3 s to ~15 s, injected with the emulator's ``delay`` callback fault)
are drawn here, from the same seed.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from hsnb.analysis import read_log
from hsnb.emulator import DEFAULT_EPOCH, Delay, Emulator
from hsnb.listener import Listener
from hsnb.store import EventStore

HERE = Path(__file__).resolve().parent
DOCUMENTS = HERE.parent / "documents"
SEED = 20260105
#: 2026-01-05T08:55:00Z, a Monday morning.
START = DEFAULT_EPOCH + 4 * 86400 + 8 * 3600 + 55 * 60
#: What the URLs inside payloads (``files_url``...) start with: no port, the same on every run
#: (and as long as the ``http://127.0.0.1:18765`` of earlier logs, so body sizes did not change).
PUBLIC_BASE_URL = "https://hellosign.test"
MINUTE = 60.0
STALE_KEY = "0" * 64
NAME = "sample-log"


class SampleRun:
    """One emulator, one listener, a plan of timed actions, and the emulated receive times."""

    def __init__(self, store_path: Path, seed: int, port: int) -> None:
        self.rng = random.Random(seed)
        self.emulator = Emulator(
            seed=seed,
            name=NAME,
            port=port,
            public_base_url=PUBLIC_BASE_URL,
            start_time=START,
            time_scale=None,
            processing_delay=Delay.lognormal(40, 0.5),
            signing_delay=Delay.lognormal(100, 0.6),
            file_prep_delay=Delay.uniform(20, 75),
            cancel_delay=Delay.uniform(3, 12),
            rate_limit=None,
            test_mode_rate_limit=None,
        )
        self.store = EventStore(store_path)
        self.listener = self._deploy(self.emulator.api_key)
        self.emulator.callback_url = self.listener.url
        self.received: dict[int, float] = {}
        self.requests: dict[str, dict[str, Any]] = {}
        self.plan: list[tuple[float, int, Callable[[], None]]] = []

    # -- the listener ----------------------------------------------------------------------

    def _deploy(self, key: str, port: int = 0) -> Listener:
        """Start (or restart, on the same port) the listener, verifying with ``key``."""
        listener = Listener(self.store, api_keys=key, name=NAME, port=port)
        listener.on_delivery(self._stamp)
        return listener

    def _stamp(self, answer: Any) -> None:
        # Runs on the server thread, where the emulator's clock lives: no race with it.
        if answer.record is not None:
            self.received[answer.record.delivery_id] = self.emulator.clock.now()

    def redeploy(self, key: str) -> None:
        """The receiving app is redeployed on the same URL with another API key."""
        self.listener = self._deploy(key, port=self.listener.port or 0)

    # -- emulated time ------------------------------------------------------------------------

    def now(self) -> float:
        """The emulator's clock."""
        return self.emulator.clock.now()

    def at(self, minutes: float, action: Callable[[], None]) -> None:
        """Plan ``action`` at ``minutes`` after 09:00."""
        when = START + 5 * MINUTE + minutes * MINUTE
        self.plan.append((when, len(self.plan), action))

    def run(self) -> None:
        """Play the plan: move the clock to the next due timer or action, settle, repeat."""
        self.plan.sort()
        while True:
            timer = self.emulator.next_deadline()
            action = self.plan[0] if self.plan else None
            if timer is None and action is None:
                return
            if action is None or (timer is not None and timer <= action[0]):
                self._advance_to(timer)
            else:
                self.plan.pop(0)
                self._advance_to(action[0])
                action[2]()
                self._settle()

    def _advance_to(self, when: float) -> None:
        self.emulator.advance(max(0.0, when - self.now()))
        self._settle()

    def _settle(self, timeout: float = 10.0) -> None:
        """Wait (real time) until no callback is on the wire or queued to go now."""
        if not self.emulator.wait_idle(timeout):
            raise RuntimeError("callbacks did not settle; is the listener answering?")

    # -- faults --------------------------------------------------------------------------------

    def lag(self, *event_types: str) -> None:
        """Hold the next delivery of each type back by a drawn queueing delay."""
        for event_type in event_types:
            seconds = round(self.rng.lognormvariate(math.log(1.5), 0.9), 3)
            self.emulator.inject_fault("callback", "delay", match=event_type, seconds=seconds)

    # -- what people do --------------------------------------------------------------------

    def create(self, key: str, title: str, document: str, signers: list[str], **extra: Any):
        """The requester sends a request (``/signature_request/send``) with ``signers``."""

        def action() -> None:
            self.lag("signature_request_sent", "file_error")
            data: dict[str, Any] = {"title": title, "test_mode": "1", "use_text_tags": "1"}
            data.update({k: str(v) for k, v in extra.items()})
            for i, name in enumerate(signers):
                data[f"signers[{i}][name]"] = name
                data[f"signers[{i}][email_address]"] = f"{name.split()[0].lower()}@example.com"
            path = DOCUMENTS / document
            files = {"files[0]": (document, path.read_bytes(), "application/pdf")}
            response = requests.post(
                f"{self.emulator.api_url}/signature_request/send",
                auth=(self.emulator.api_key, ""),
                data=data,
                files=files,
                timeout=10,
            )
            response.raise_for_status()
            self.requests[key] = response.json()["signature_request"]

        return action

    def _signature(self, key: str, index: int) -> str:
        return self.requests[key]["signatures"][index]["signature_id"]

    def sign(self, key: str, index: int, *, last: bool = False):
        """Signer ``index`` opens the request from their e-mail and signs it."""

        def action() -> None:
            self.lag("signature_request_viewed", "signature_request_signed")
            if last:
                self.lag("signature_request_all_signed", "signature_request_downloadable")
            self.emulator.sign(self._signature(key, index))

        return action

    def decline(self, key: str, index: int, reason: str):
        """Signer ``index`` opens the request and declines it."""

        def action() -> None:
            self.lag("signature_request_viewed", "signature_request_declined")
            self.emulator.decline(self._signature(key, index), reason)

        return action

    def cancel(self, key: str):
        """The requester cancels the request through the API."""

        def action() -> None:
            self.lag("signature_request_canceled")
            request_id = self.requests[key]["signature_request_id"]
            response = requests.post(
                f"{self.emulator.api_url}/signature_request/cancel/{request_id}",
                auth=(self.emulator.api_key, ""),
                timeout=10,
            )
            response.raise_for_status()

        return action

    def fault(self, action: str, event_type: str):
        """The service misbehaves once for the next delivery of ``event_type``."""
        return lambda: self.emulator.inject_fault("callback", action, match=event_type)

    def stray(self, method: str, body: bytes | None = None):
        """Something that is not Dropbox Sign hits the callback URL."""

        def action() -> None:
            url = self.listener.url.replace("/callback", "/")
            headers = {"Content-Type": "application/json"} if body else {}
            requests.request(method, url, data=body, headers=headers, timeout=10)

        return action

    def think(self, median_minutes: float, sigma: float = 0.5) -> float:
        """A person's reaction time in minutes (log-normal), drawn from the script's seed."""
        return median_minutes * math.exp(sigma * self.rng.gauss(0, 1))

    def close(self) -> None:
        """Stop both servers and close the store."""
        self.listener.stop()
        self.emulator.stop()
        self.store.close()


def plan_day(run: SampleRun) -> None:
    """The scenarios, in minutes after 09:00 on Monday 2026-01-05 (UTC)."""
    two = "nda-two-signers.pdf"
    one = "one-signer.pdf"
    r = run.think
    # 1. Happy path, two signers; the service sends one `signed` twice.
    run.at(2, run.create("nda", "Mutual NDA: Northwind", two, ["Ana Ruiz", "Ben Okafor"]))
    ben = 2 + r(25)
    run.at(ben, run.fault("duplicate", "signature_request_signed"))
    run.at(ben, run.sign("nda", 1))
    run.at(2 + r(110), run.sign("nda", 0, last=True))
    # 2. The listener is redeployed with a stale API key and refuses callbacks (403) for 20 min.
    run.at(38, lambda: run.redeploy(STALE_KEY))
    globex = ["Carla Diaz", "Dev Rao"]
    run.at(41, run.create("consult", "Consulting agreement: Globex", two, globex))
    run.at(41 + r(9, 0.2), run.sign("consult", 0))
    run.at(58, lambda: run.redeploy(run.emulator.api_key))
    run.at(41 + r(150), run.sign("consult", 1, last=True))
    # 3. A signer declines.
    run.at(75, run.create("photo", "Photo release", one, ["Erin Walsh"], allow_decline=1))
    run.at(75 + r(35), run.decline("photo", 0, "I do not agree to the use of my photo online."))
    # Something that is not Dropbox Sign: an uptime checker, then a misdirected webhook.
    run.at(r(95, 0.1), run.stray("GET"))
    run.at(r(205, 0.1), run.stray("POST", b'{"type":"invoice.paid","id":"evt_1"}'))
    # 4. A document with malformed text tags: file_error instead of sent.
    run.at(130, run.create("loan", "Equipment loan", "malformed-tag.pdf", ["Finn Berg"]))
    # 5. One of two signers signs, then the requester cancels.
    run.at(150, run.create("offer", "Offer letter", two, ["Gia Moretti", "Hal Jensen"]))
    run.at(150 + r(40), run.sign("offer", 0))
    run.at(262, run.cancel("offer"))
    # 6. One signer; the first delivery of all_signed is lost and retried 5 minutes later.
    run.at(200, run.create("vendor", "Vendor onboarding", one, ["Ines Novak"]))
    ines = 200 + r(30)
    run.at(ines, run.fault("drop", "signature_request_all_signed"))
    run.at(ines, run.sign("vendor", 0, last=True))
    # 7. A quick happy path, two signers.
    run.at(300, run.create("initech", "Mutual NDA: Initech", two, ["Jon Park", "Kim Sato"]))
    run.at(300 + r(15), run.sign("initech", 0))
    run.at(300 + r(45), run.sign("initech", 1, last=True))


def stamp_received_times(path: Path, received: dict[int, float]) -> int:
    """Put on the emulator's clock the deliveries the listener could not (returns how many).

    The listener stamps a delivery with the emulator's clock itself when the clock header
    verifies with its API key (:mod:`hsnb.clock_header`); with a stale key, or for a request that
    is not a callback at all, it keeps wall time. Those rows get the emulator's clock recorded by
    the delivery hook, their wall time kept in ``received_wall_at`` as the listener would have.
    The rows the listener stamped are checked against the hook's record.
    """
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT delivery_id, received_at, received_wall_at FROM deliveries")
        rows = rows.fetchall()
        missing = sorted({row[0] for row in rows} - set(received))
        if missing:
            raise RuntimeError(f"no emulated receive time for deliveries {missing}")
        for delivery_id, received_at, wall in rows:
            if wall is not None and received_at != _iso(received[delivery_id]):
                raise RuntimeError(
                    f"delivery {delivery_id}: listener stamped {received_at},"
                    f" the emulator's clock said {_iso(received[delivery_id])}"
                )
        stamped = [(_iso(received[i]), at, i) for i, at, wall in rows if wall is None]
        with db:
            db.executemany(
                "UPDATE deliveries SET received_at = ?, received_wall_at = ? WHERE delivery_id = ?",
                stamped,
            )
            db.execute(
                "UPDATE events SET (received_at, received_wall_at) = (SELECT received_at,"
                " received_wall_at FROM deliveries"
                " WHERE deliveries.delivery_id = events.first_delivery_id)"
            )
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("VACUUM")
    finally:
        db.close()
    return len(stamped)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")


def export(path: Path, out: Path) -> None:
    """CSV of both frames and JSONL of the payloads, for people without hsnb."""
    events, deliveries = read_log(path)
    # received_wall_at is this run's wall clock: in the SQLite file, not in the exports
    events = events.drop(columns="received_wall_at")
    deliveries = deliveries.drop(columns="received_wall_at")
    events.to_csv(out / "sample-events.csv", index=False)
    flat = deliveries.assign(content_type=deliveries["content_type"].str.split(";").str[0])
    flat.to_csv(out / "sample-deliveries.csv", index=False)
    store = EventStore(path, read_only=True)  # each payload is kept once, in its body
    try:
        rows = store.event_rows()
    finally:
        store.close()
    with (out / "sample-events.jsonl").open("w") as lines:
        for row in rows:
            record = {
                "event_id": row["event_id"],
                "received_at": row["received_at"],
                "deliveries": row["delivery_count"],
                "payload": json.loads(row["payload"]),
            }
            lines.write(json.dumps(record, separators=(",", ":")) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--emulator-port", type=int, default=0, help="the emulator's port (default: any free one)"
    )
    args = parser.parse_args(argv)
    target = args.out / "sample-log.sqlite"
    work = args.out / "sample-log.building.sqlite"
    for stale in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
        stale.unlink(missing_ok=True)
    started = time.monotonic()
    run = SampleRun(work, args.seed, args.emulator_port)
    try:
        plan_day(run)
        run.run()
        received = dict(run.received)
        dead = sum(
            1
            for attempt in run.emulator.attempts()
            if attempt.outcome != "acknowledged" and attempt.next_attempt_at is None
        )
    finally:
        run.close()
    if dead:
        raise RuntimeError(f"{dead} deliveries were never acknowledged")
    stamp_received_times(work, received)
    work.replace(target)
    export(target, args.out)
    log = read_log(target)
    print(
        f"{target.name}: {len(log.events)} events, {len(log.deliveries)} deliveries,"
        f" built in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
