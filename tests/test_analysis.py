"""hsnb.analysis and hsnb.plots on real logs: an emulator's callbacks stored by a real listener.

The ``day`` fixture runs four signature requests through the emulator on a manual clock with
fixed delays (processing 30 s, a signer 60 s on the page, final files 20 s, cancel 5 s), so
every ``event_time`` is known exactly. The listener verifies with the emulator's key, so it
stamps ``received_at`` on the emulator's clock too (which does not move while a callback is on the
wire): every callback of the day arrives within the second of its ``event_time``. The committed
sample log (a simulated working day) has its own tests: ``test_sample_log.py``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import pandas as pd
import pandas.testing as pdt
import pytest
import requests

from hsnb.analysis import (
    LATENCY_COLUMNS,
    LATENCY_SUMMARY_COLUMNS,
    LIFECYCLE_COLUMNS,
    EventLog,
    latencies,
    latency_summary,
    lifecycle,
    read_log,
)
from hsnb.emulator import DEFAULT_EPOCH, Emulator
from hsnb.events import parse_event
from hsnb.listener import Listener
from hsnb.retries import REJECTION_COLUMNS, RETRY_COLUMNS, retry_stats
from hsnb.store import EventStore, RequestInfo
from tests.conftest import sent_payload

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hsnb.plots import plot_latencies, plot_timeline  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "events" / "sample-log.sqlite"
DOCUMENTS = ROOT / "data" / "documents"
T0 = pd.Timestamp(DEFAULT_EPOCH, unit="s", tz="UTC")


def seconds(n: float) -> pd.Timestamp:
    """The fixture's start plus ``n`` seconds."""
    return T0 + pd.Timedelta(seconds=n)


def dtypes(columns: dict) -> pd.Series:
    return pd.Series({name: pd.api.types.pandas_dtype(dtype) for name, dtype in columns.items()})


@dataclass
class Day:
    log: EventLog
    ids: dict[str, str]


def send(emulator: Emulator, title: str, document: str, signers: int, **extra: str) -> dict:
    """``/signature_request/send`` over HTTP; the request as the API answers it."""
    data = {"title": title, "use_text_tags": "1", **extra}
    for i in range(signers):
        data[f"signers[{i}][name]"] = f"Signer {i + 1}"
        data[f"signers[{i}][email_address]"] = f"signer{i + 1}@example.com"
    files = {"files[0]": (document, (DOCUMENTS / document).read_bytes(), "application/pdf")}
    response = requests.post(
        f"{emulator.api_url}/signature_request/send",
        auth=(emulator.api_key, ""),
        data=data,
        files=files,
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["signature_request"]


@pytest.fixture(scope="module")
def day() -> Iterator[Day]:
    settings = {
        "seed": 7,
        "name": "test-analysis",
        "start_time": DEFAULT_EPOCH,
        "time_scale": None,
        "processing_delay": 30,
        "signing_delay": 60,
        "file_prep_delay": 20,
        "cancel_delay": 5,
        "rate_limit": None,
        "high_tier_rate_limit": None,
        "test_mode_rate_limit": None,
    }
    with (
        Emulator(**settings) as emulator,
        Listener(api_keys=emulator.api_key, name="test-analysis") as listener,
    ):
        emulator.callback_url = listener.url

        def advance(seconds: float) -> None:
            # a manual clock moves only when told: first let what is due now go out (a callback
            # sent after the move would carry the later time)
            assert emulator.wait_idle(10)
            emulator.advance(seconds)

        def step(seconds: float, event_type: str, request: dict) -> None:
            advance(seconds)
            rid = request["signature_request_id"]
            listener.wait_for(event_type, signature_request_id=rid, timeout=10)

        happy = send(emulator, "Happy <two>", "nda-two-signers.pdf", 2)  # created t+0
        step(30, "signature_request_sent", happy)  # sent t+30
        advance(600)
        emulator.inject_fault("callback", "duplicate", match="signature_request_signed")
        emulator.sign(happy["signatures"][0]["signature_id"])  # viewed t+630
        step(60, "signature_request_signed", happy)  # signed t+690, sent twice
        advance(300)
        emulator.sign(happy["signatures"][1]["signature_id"])  # viewed t+990
        step(60, "signature_request_all_signed", happy)  # signed, all_signed t+1050
        step(20, "signature_request_downloadable", happy)  # downloadable t+1070

        declined = send(emulator, "Declined", "one-signer.pdf", 1, allow_decline="1")
        step(30, "signature_request_sent", declined)  # sent t+1100
        emulator.decline(declined["signatures"][0]["signature_id"], "no thanks")
        step(60, "signature_request_declined", declined)  # declined t+1160

        broken = send(emulator, "Broken", "malformed-tag.pdf", 1)  # created t+1160
        step(30, "file_error", broken)  # file_error t+1190

        canceled = send(emulator, "Canceled", "nda-two-signers.pdf", 2)  # created t+1190
        step(30, "signature_request_sent", canceled)  # sent t+1220
        rid = canceled["signature_request_id"]
        requests.post(
            f"{emulator.api_url}/signature_request/cancel/{rid}",
            auth=(emulator.api_key, ""),
            timeout=10,
        ).raise_for_status()
        step(5, "signature_request_canceled", canceled)  # canceled t+1225

        emulator.callback_test()
        listener.wait_for("callback_test", timeout=10)
        requests.get(listener.url, timeout=10)  # not a callback: refused with 405
        assert emulator.wait_settled(10)
        ids = {
            "happy": happy["signature_request_id"],
            "declined": declined["signature_request_id"],
            "broken": broken["signature_request_id"],
            "canceled": canceled["signature_request_id"],
        }
        yield Day(read_log(listener), ids)


@pytest.fixture
def table(day: Day) -> pd.DataFrame:
    return lifecycle(day.log.events).set_index("signature_request_id")


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


# -- read_log --------------------------------------------------------------------------------


def test_read_log_adds_created_at_and_signer_count_from_payloads(day: Day) -> None:
    events = day.log.events
    happy = events[events["signature_request_id"] == day.ids["happy"]]
    assert (happy["created_at"] == seconds(0)).all()
    assert (happy["signer_count"] == 2).all()
    assert str(events["created_at"].dtype) == "datetime64[us, UTC]"


def test_read_log_survives_an_odd_created_at() -> None:
    store = EventStore()
    for created in ("yesterday", 1.5e30, True):
        payload = sent_payload(event_time=1_700_000_000)
        payload["signature_request"]["created_at"] = created
        payload["signature_request"]["signature_request_id"] = f"{created!s:x<40}"[:40]
        body = json.dumps(payload).encode()
        request = RequestInfo("POST", "/callback", {"Content-Type": "application/json"}, body)
        store.record_event(request, parse_event(body))
    events = read_log(store).events
    assert len(events) == 3
    assert events["created_at"].isna().all()


def test_read_log_of_a_file_leaves_the_file_unchanged(tmp_path: Path) -> None:
    copy = tmp_path / "log.sqlite"
    shutil.copyfile(SAMPLE, copy)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    log = read_log(copy)
    assert len(log.events) == 237
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.sqlite"]


def test_read_log_of_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no event store at"):
        read_log(tmp_path / "nothing.sqlite")


def test_read_log_of_nothing_is_empty_with_the_full_schema() -> None:
    log = read_log()
    assert log.events.empty and log.deliveries.empty
    assert str(log.events["created_at"].dtype) == "datetime64[us, UTC]"
    assert str(log.events["signer_count"].dtype) == "Int64"


# -- lifecycle -------------------------------------------------------------------------------


def test_lifecycle_schema_is_the_declared_one(day: Day) -> None:
    pdt.assert_series_equal(
        lifecycle(day.log.events).dtypes, dtypes(LIFECYCLE_COLUMNS), check_names=False
    )


def test_lifecycle_of_no_events_is_empty_with_the_full_schema() -> None:
    table = lifecycle(read_log().events)
    assert table.empty
    pdt.assert_series_equal(table.dtypes, dtypes(LIFECYCLE_COLUMNS), check_names=False)


def test_lifecycle_has_one_row_per_request_in_order_of_first_event(day: Day) -> None:
    table = lifecycle(day.log.events)
    expected = [day.ids[k] for k in ("happy", "declined", "broken", "canceled")]
    assert table["signature_request_id"].tolist() == expected


def test_events_without_a_signature_request_are_left_out(day: Day) -> None:
    assert "callback_test" in set(day.log.events["event_type_raw"])
    assert len(lifecycle(day.log.events)) == 4


def test_final_state_of_each_request(table: pd.DataFrame, day: Day) -> None:
    states = {k: table.loc[v, "final_state"] for k, v in day.ids.items()}
    assert states == {
        "happy": "complete",
        "declined": "declined",
        "broken": "error",
        "canceled": "canceled",
    }


def test_first_seen_times_are_event_times(table: pd.DataFrame, day: Day) -> None:
    happy = table.loc[day.ids["happy"]]
    assert happy["created_at"] == seconds(0)
    assert happy["sent_at"] == seconds(30)
    assert happy["viewed_at"] == seconds(630)
    assert happy["signed_at"] == seconds(690)
    assert happy["all_signed_at"] == seconds(1050)
    assert happy["downloadable_at"] == seconds(1070)
    assert happy["last_event_at"] == seconds(1070)


def test_durations_of_the_happy_path(table: pd.DataFrame, day: Day) -> None:
    happy = table.loc[day.ids["happy"]]
    assert happy["processing"] == pd.Timedelta(seconds=30)
    assert happy["signing"] == pd.Timedelta(seconds=1020)
    assert happy["download_lag"] == pd.Timedelta(seconds=20)


def test_processing_of_a_failed_request_ends_at_its_error(table: pd.DataFrame, day: Day) -> None:
    broken = table.loc[day.ids["broken"]]
    assert broken["error_at"] == seconds(1190)
    assert pd.isna(broken["sent_at"])
    assert broken["processing"] == pd.Timedelta(seconds=30)
    assert pd.isna(broken["signing"])


def test_signed_counts_signers_not_deliveries(table: pd.DataFrame, day: Day) -> None:
    happy = table.loc[day.ids["happy"]]
    assert (happy["signers"], happy["signed"], happy["events"]) == (2, 2, 7)


def test_declined_and_canceled_times(table: pd.DataFrame, day: Day) -> None:
    assert table.loc[day.ids["declined"], "declined_at"] == seconds(1160)
    assert table.loc[day.ids["declined"], "signed"] == 0
    assert table.loc[day.ids["canceled"], "canceled_at"] == seconds(1225)


def test_lifecycle_without_payload_columns_leaves_them_missing(day: Day) -> None:
    bare = day.log.events.drop(columns=["created_at", "signer_count"])
    happy = lifecycle(bare).set_index("signature_request_id").loc[day.ids["happy"]]
    assert pd.isna(happy["created_at"]) and pd.isna(happy["processing"])
    assert pd.isna(happy["signers"])
    assert happy["signing"] == pd.Timedelta(seconds=1020)


# -- latencies -------------------------------------------------------------------------------


def test_latency_is_received_at_minus_event_time(day: Day) -> None:
    table = latencies(day.log.events)
    pdt.assert_series_equal(table.dtypes, dtypes(LATENCY_COLUMNS), check_names=False)
    expected = day.log.events["received_at"] - day.log.events["event_time"]
    pdt.assert_series_equal(table["delay"], expected, check_names=False)


def test_latencies_of_no_events_have_the_full_schema() -> None:
    table = latencies(read_log().events)
    assert table.empty
    pdt.assert_series_equal(table.dtypes, dtypes(LATENCY_COLUMNS), check_names=False)


def test_latency_summary_counts_each_type_in_life_order(day: Day) -> None:
    summary = latency_summary(day.log.events)
    assert summary.index.tolist()[:5] == [
        "signature_request_sent",
        "signature_request_viewed",
        "signature_request_signed",
        "signature_request_all_signed",
        "signature_request_downloadable",
    ]
    assert summary["suspect"].sum() == 0  # one clock: no delay that cannot be
    assert summary.loc["signature_request_sent", "events"] == 3
    assert summary.loc["callback_test", "events"] == 1


def test_on_one_clock_a_callback_arrives_within_the_second_its_event_time_names(day: Day) -> None:
    events = day.log.events
    assert set(events["received_clock"]) == {"emulated"}
    table = latencies(events)
    delay = table["delay"]
    assert delay.between(pd.Timedelta(0), pd.Timedelta(seconds=1), inclusive="left").all()


def test_delays_that_cannot_be_are_flagged_never_clipped() -> None:
    events = read_log(SAMPLE).events.head(3).copy()
    events["received_at"] = events["event_time"] + pd.to_timedelta([-3600, 2, 9 * 86400], unit="s")
    table = latencies(events)
    assert table["delay"].dt.total_seconds().tolist() == [-3600, 2, 9 * 86400]
    assert table["suspect"].str.startswith("negative").fillna(False).tolist() == [
        True,
        False,
        False,
    ]
    assert table["suspect"].isna().tolist() == [False, True, False]
    summary = latency_summary(events)
    assert summary["suspect"].sum() == 2 and summary["events"].sum() == 1


def test_latency_summary_of_no_events_has_the_full_schema() -> None:
    summary = latency_summary(read_log().events)
    assert summary.empty and summary.index.name == "event_type"
    expected = dtypes({k: v for k, v in LATENCY_SUMMARY_COLUMNS.items() if k != "event_type"})
    pdt.assert_series_equal(summary.dtypes, expected, check_names=False)


# -- retry statistics ------------------------------------------------------------------------


def test_retry_stats_totals(day: Day) -> None:
    stats = retry_stats(*day.log)
    assert (stats.accepted, stats.duplicates, stats.refused) == (14, 1, 1)
    assert stats.deliveries == 16
    assert stats.duplicate_rate == pytest.approx(1 / 15)
    assert stats.deliveries_per_event == pytest.approx(15 / 14)


def test_retry_stats_by_type_counts_the_duplicate(day: Day) -> None:
    by_type = retry_stats(*day.log).by_type
    pdt.assert_series_equal(
        by_type.dtypes,
        dtypes({k: v for k, v in RETRY_COLUMNS.items() if k != "event_type"}),
        check_names=False,
    )
    signed = by_type.loc["signature_request_signed"]
    assert signed.to_dict() == {
        "events": 2,
        "deliveries": 3,
        "duplicates": 1,
        "retried_events": 1,
        "max_deliveries": 2,
    }


def test_retry_stats_counts_refusals_by_reason(day: Day) -> None:
    rejected = retry_stats(*day.log).rejected
    pdt.assert_series_equal(rejected.dtypes, dtypes(REJECTION_COLUMNS), check_names=False)
    assert rejected[["status", "reason", "deliveries"]].values.tolist() == [
        [405, "method GET not allowed: callbacks are POSTed", 1]
    ]


def test_retry_stats_of_an_empty_log() -> None:
    stats = retry_stats(*read_log())
    assert stats.by_type.empty and stats.rejected.empty
    assert (stats.deliveries, stats.duplicate_rate, stats.deliveries_per_event) == (0, 0.0, 0.0)


def test_retry_stats_repr_is_plain_text_without_times(day: Day) -> None:
    assert repr(retry_stats(*day.log)).splitlines() == [
        "RetryStats: 14 events from 16 deliveries (14 accepted, 1 duplicate, 1 refused)",
        "  deliveries per event 1.071, duplicate rate 6.7%",
        "  refused 1 x HTTP 405: method GET not allowed: callbacks are POSTed",
    ]


# -- plots -----------------------------------------------------------------------------------


def test_timeline_has_one_lane_per_request_labelled_by_title(day: Day) -> None:
    ax = plot_timeline(day.log.events)
    labels = [label.get_text() for label in ax.get_yticklabels()]
    assert labels == ["Happy <two>", "Declined", "Broken", "Canceled"]
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[:3] == ["sent", "viewed", "signed"] and "file_error" in legend


def test_timeline_by_arrival_uses_received_at(day: Day) -> None:
    ax = plot_timeline(day.log.events, time="received_at")
    assert ax.get_xlabel() == "received at (UTC)"


def test_timeline_refuses_other_time_columns(day: Day) -> None:
    with pytest.raises(ValueError, match="time must be 'event_time' or 'received_at'"):
        plot_timeline(day.log.events, time="created_at")


def test_latency_plot_has_one_row_per_event_type(day: Day) -> None:
    ax = plot_latencies(day.log.events)
    labels = [label.get_text() for label in ax.get_yticklabels()]
    assert labels[:2] == ["sent", "viewed"] and labels[-1] == "callback_test"
    assert ax.get_xscale() == "log"


def test_plots_draw_on_the_given_axes_without_showing(
    day: Day, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("library code called show"))
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_timeline(day.log.events, ax=left) is left
    assert plot_latencies(day.log.events, ax=right) is right


def test_plots_of_no_events_are_empty_axes() -> None:
    events = read_log().events
    assert plot_timeline(events).get_yticklabels() == []
    assert plot_latencies(events).get_yticklabels() == []
