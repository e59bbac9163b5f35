"""hsnb.logs: a store read as columns, each callback kept once, JSON lines, Parquet, the CLI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import hsnb
from hsnb.analysis import read_log
from hsnb.errors import LogFormatError
from hsnb.frames import DELIVERY_COLUMNS, EVENT_COLUMNS, deliveries_frame, events_frame
from hsnb.listener import Listener
from hsnb.logs import stored
from hsnb.logs.jsonl import read_jsonl
from hsnb.logs.parquet import export_store, read_events
from hsnb.receiver import single_json_part
from hsnb.store import EventStore
from tests.conftest import KEY, ROOT, post_multipart, sent_payload
from tests.logs_helpers import write_messy_log

#: What a JSON-lines log cannot know: whether the listener verified it, and its wall clock.
STORE_ONLY = ["verified", "received_wall_at", "received_clock"]


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_messy_log(tmp_path_factory.mktemp("logs") / "messy.sqlite")


def test_a_store_read_as_columns_equals_each_payload_parsed(messy: Path) -> None:
    store = EventStore(messy, read_only=True)
    by_columns = stored.events_frame(store, batch_rows=7)  # several batches
    pd.testing.assert_frame_equal(by_columns, events_frame(store.event_rows()))
    pd.testing.assert_frame_equal(
        stored.deliveries_frame(store, batch_rows=7), deliveries_frame(store.delivery_rows())
    )
    assert dict(by_columns.dtypes) == EVENT_COLUMNS
    assert by_columns["event_type_raw"].str.contains("teleported").any()
    assert by_columns["event_type"].isna().sum() == 1  # the unknown type: raw kept, flagged
    assert set(by_columns["callback_type"]) == {"account_callback", "app_callback"}


def test_odd_payload_values_are_missing_in_the_columns_as_in_a_parsed_payload(
    tmp_path: Path,
) -> None:
    payload = sent_payload("b" * 40)
    payload["signature_request"].update(title=7, created_at=1.7e9 + 0.25, is_complete="yes")
    payload["signature_request"]["signatures"][0]["order"] = 2**60
    with Listener(tmp_path / "odd.sqlite", api_keys=KEY, name="test-odd") as listener:
        assert post_multipart(listener.url, payload).status_code == 200
        store = listener.store
        frame = stored.events_frame(store)
        pd.testing.assert_frame_equal(frame, events_frame(store.event_rows()))
    row = frame.iloc[0]
    assert pd.isna(row["title"]) and pd.isna(row["is_complete"]) and pd.isna(row["signer_order"])
    assert row["created_at"] == pd.Timestamp(1.7e9 + 0.25, unit="s", tz="UTC")


def test_each_callback_is_kept_once_and_its_raw_bytes_come_back(tmp_path: Path) -> None:
    path = tmp_path / "once.sqlite"
    with Listener(path, api_keys=KEY, name="test-once") as listener:
        payloads = [sent_payload(f"{n:040x}") for n in range(3)]
        for payload in [*payloads, payloads[0]]:  # the last one a retry
            post_multipart(listener.url, payload)
        store = listener.store
        rows = store.delivery_rows(with_body=True)
        texts = [single_json_part(r["content_type"].split(";", 1)[1], r["body"]) for r in rows]
        assert [json.loads(text) for text in texts] == [*payloads, payloads[0]]
        assert [row["payload"].encode() for row in store.event_rows()] == texts[:3]
    db = sqlite3.connect(path)
    assert db.execute("SELECT DISTINCT payload FROM events").fetchall() == [("",)]
    assert db.execute("SELECT DISTINCT body_codec FROM deliveries").fetchall() == [("deflate",)]
    sizes = db.execute("SELECT sum(length(body)), sum(body_size) FROM deliveries").fetchone()
    assert sizes[0] < sizes[1] / 2  # compressed


def test_a_simulated_store_keeps_a_typical_event_in_under_3_kb(tmp_path: Path) -> None:
    path = tmp_path / "sim.sqlite"
    result = hsnb.simulate(requests=40, seed=5, store=path, progress=False)
    events = len(result.log.events)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("VACUUM")
    db.close()
    assert events > 150
    assert path.stat().st_size / events < 3000


def test_a_jsonl_log_of_every_delivery_gives_the_stores_events(messy: Path, tmp_path: Path) -> None:
    store = EventStore(messy, read_only=True)
    lines = []
    for row in store.delivery_rows(with_body=True):
        text = single_json_part(row["content_type"].split(";", 1)[1], row["body"]).decode()
        if row["verdict"] == "duplicate" and len(lines) % 2:  # some retries logged bare
            lines.append(text)
        else:
            lines.append(json.dumps({"received_at": row["received_at"], "payload": text}))
    log = tmp_path / "handler.jsonl"
    log.write_text("\n".join(lines[:5]) + "\n\n" + "\n".join(lines[5:]) + "\n")
    from_lines = read_jsonl(log, batch_rows=5)
    expected = read_log(messy).events
    numbered = from_lines.drop(columns=[*STORE_ONLY, "event_id"])
    pd.testing.assert_frame_equal(numbered, expected.drop(columns=[*STORE_ONLY, "event_id"]))
    assert from_lines["deliveries"].sum() == len(lines)
    assert dict(from_lines.dtypes) == EVENT_COLUMNS


def test_the_committed_jsonl_sample_reads_as_the_sample_store() -> None:
    events = read_jsonl(ROOT / "data" / "events" / "sample-events.jsonl")
    sample = read_log(ROOT / "data" / "events" / "sample-log.sqlite").events
    pd.testing.assert_frame_equal(events.drop(columns=STORE_ONLY), sample.drop(columns=STORE_ONLY))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1, 2]", "not a JSON object"),
        ('{"received_at": "2026-01-01T00:00:00"}', "neither a payload"),
        ('{"payload": {"event": {}}}', "event.event_type is missing"),
        ('{"payload": "{}", "received_at": "yesterday"}', "Invalid isoformat"),
        ('{"event": {"event_type": "x", "event_time": "1", "event_hash": "h"}, "x": NaN}', "NaN"),
    ],
)
def test_a_line_that_is_not_a_callback_is_named(tmp_path: Path, line: str, message: str) -> None:
    log = tmp_path / "bad.jsonl"
    good = json.dumps(sent_payload())
    log.write_text(f"{good}\n{line}\n")
    with pytest.raises(LogFormatError, match=rf"bad\.jsonl, line 2: .*{message}"):
        read_jsonl(log)


def test_parquet_keeps_every_dtype_and_time_zone_and_splits_by_day(
    messy: Path, tmp_path: Path
) -> None:
    folders = export_store(messy, tmp_path / "pq")
    days = sorted(p.name for p in folders["events"].iterdir())
    assert days == ["day=2026-01-01", "day=2026-01-02", "day=2026-01-03"]
    log = read_log(messy)
    pd.testing.assert_frame_equal(read_events(folders["events"]), log.events)
    delivered = read_events(folders["deliveries"], declared=DELIVERY_COLUMNS)
    pd.testing.assert_frame_equal(delivered, log.deliveries)
    assert str(delivered["received_at"].dt.tz) == "UTC"
    some = read_events(folders["events"], columns=["event_id", "event_time"])
    assert list(some.columns) == ["event_id", "event_time"]


def test_an_empty_store_exports_an_empty_typed_parquet_log(tmp_path: Path) -> None:
    EventStore(tmp_path / "empty.sqlite").close()
    folders = export_store(tmp_path / "empty.sqlite", tmp_path / "pq")
    pd.testing.assert_frame_equal(read_events(folders["events"]), read_log().events)


def hsnb_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hsnb.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_the_cli_exports_a_store_and_a_jsonl_log_to_parquet(messy: Path, tmp_path: Path) -> None:
    done = hsnb_cli("export", str(messy), "--out", str(tmp_path / "a"), "--format", "parquet")
    assert done.returncode == 0, done.stderr
    events = len(read_log(messy).events)
    assert f"events/: {events} rows" in done.stdout
    sample = ROOT / "data" / "events" / "sample-events.jsonl"
    done = hsnb_cli(
        "export", str(sample), "--out", str(tmp_path / "b"), "--format", "parquet",
        "--partition", "none",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (tmp_path / "b" / "events").iterdir()] == ["part-0.parquet"]
    pd.testing.assert_frame_equal(read_events(tmp_path / "b" / "events"), read_jsonl(sample))


def test_the_cli_names_a_bad_line_in_one_line(tmp_path: Path) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text("not json\n")
    done = hsnb_cli("export", str(log), "--out", str(tmp_path / "out"), "--format", "parquet")
    assert done.returncode == 2
    assert done.stderr.startswith(f"hsnb: {log}, line 1: ")
    assert len(done.stderr.splitlines()) == 1
