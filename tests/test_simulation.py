"""hsnb.simulate: seeded workloads planned the same way every time, run over real HTTP through the
real emulator and listener on virtual time, with every behaviour of the workload in the log."""

from __future__ import annotations

import collections
import multiprocessing
import time

import pandas as pd
import pytest

import hsnb
from hsnb.analysis import lifecycle, signer_times
from hsnb.retries import attempt_view, retry_stats
from hsnb.simulation import PRESETS, ReceiverBehaviour, Workload, plan
from hsnb.simulation.command import main as simulate_main
from hsnb.simulation.receiver import choose
from hsnb.simulation.workload import document

#: Every behaviour at once, in a workload small enough for the suite.
EVERYTHING = Workload(
    requests=60,
    period=3600.0,
    signers=(0.3, 0.4, 0.3),
    documents={"good": 0.7, "malformed_tag": 0.1, "signer_mismatch": 0.1, "unreachable_url": 0.1},
    templates=0.2,
    ordered=0.5,
    decline=0.1,
    never_act=0.1,
    expires_in=86400.0,
    receiver=ReceiverBehaviour(wrong=0.1, slow=0.02, lost=0.1),
)


@pytest.fixture(scope="module")
def everything() -> hsnb.simulation.SimulationResult:
    """One run of :data:`EVERYTHING` (shared by the tests that only read it)."""
    return hsnb.simulate(EVERYTHING, seed=11, progress=False, timeout=300)


# -- the plan ------------------------------------------------------------------------------


def test_the_same_seed_plans_the_same_workload() -> None:
    assert plan(EVERYTHING, 3) == plan(EVERYTHING, 3)
    assert plan(EVERYTHING, 3) != plan(EVERYTHING, 4)


def test_a_plan_follows_its_knobs() -> None:
    plans = plan(Workload(requests=2000, signers=(0.0, 1.0), embedded=0.25, decline=0.5), 1)
    assert {len(p.signers) for p in plans} == {2}
    assert 0.2 < sum(p.embedded for p in plans) / len(plans) < 0.3
    actions = collections.Counter(s.action for p in plans for s in p.signers)
    assert 0.45 < actions["decline"] / sum(actions.values()) < 0.55
    arrivals = [p.arrival for p in plans]
    assert arrivals == sorted(arrivals) and arrivals[-1] < 2 * Workload().period


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"documents": {"good": 1.0, "scanned": 0.1}}, "unknown document kinds"),
        ({"signers": ()}, "signers"),
        ({"decline": 0.8, "never_act": 0.5}, "at most 1"),
        ({"embedded": 1.5}, "embedded is a share"),
    ],
)
def test_a_workload_that_cannot_be_is_refused(knobs, message) -> None:
    with pytest.raises(ValueError, match=message):
        Workload(**knobs)


def test_receiver_shares_are_checked_and_choices_are_per_attempt() -> None:
    with pytest.raises(ValueError, match="sum to at most 1"):
        ReceiverBehaviour(wrong=0.6, lost=0.6)
    behaviour = ReceiverBehaviour(wrong=0.3, lost=0.3)
    picks = collections.Counter(choose(behaviour, 1, f"{n}.1") for n in range(2000))
    assert 500 < picks["wrong"] < 700 and 500 < picks["lost"] < 700
    assert choose(behaviour, 1, "7.2") == choose(behaviour, 1, "7.2")


def test_documents_carry_the_tags_their_kind_needs() -> None:
    assert b"[sig|req|signer3]" in document("signer_mismatch", 2, "x")
    assert b"[initial|req|signer1\n" in document("malformed_tag", 1, "x")
    assert b"signer2" not in document("good", 1, "x")


def test_unknown_presets_and_both_kinds_of_workload_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown preset"):
        hsnb.simulate(preset="weekend", progress=False)
    with pytest.raises(ValueError, match="not both"):
        hsnb.simulate(Workload(), preset="working-day", progress=False)
    assert set(PRESETS) == {"working-day", "retry-storm", "bad-uploads"}


# -- a run --------------------------------------------------------------------------------


def test_every_behaviour_of_the_workload_is_in_the_log(everything) -> None:
    events = everything.log.events
    types = set(events["event_type_raw"])
    assert {
        "signature_request_sent",
        "signature_request_viewed",
        "signature_request_signed",
        "signature_request_all_signed",
        "signature_request_downloadable",
        "signature_request_declined",
        "signature_request_expired",
        "file_error",
        "template_created",
    } <= types
    states = set(lifecycle(events)["final_state"])
    assert {"complete", "declined", "expired", "error"} <= states
    from_template = events["signature_request_id"].isin(
        [p for p, plan_ in _by_request(everything).items() if plan_.template]
    )
    assert from_template.any()


def test_ordered_signers_open_the_request_only_after_the_one_before_signed(everything) -> None:
    times = signer_times(everything.log.events)
    ordered = [rid for rid, p in _by_request(everything).items() if p.ordered]
    checked = 0
    for _, group in times[times["signature_request_id"].isin(ordered)].groupby(
        "signature_request_id"
    ):
        group = group.sort_values("signer_order")
        previous_signed = group["signed_at"].shift()
        later = group.iloc[1:]
        assert (later["viewed_at"] >= previous_signed.iloc[1:]).all()
        checked += len(later)
    assert checked > 0


def test_the_emulator_and_the_listener_agree_on_every_attempt(everything) -> None:
    attempts = everything.attempts
    view = attempt_view(attempts, everything.log.deliveries)
    stats = retry_stats(*everything.log, attempts)
    assert stats.attempts == len(attempts) == len(view)
    fates = view["fate"].value_counts()
    assert fates["lost"] > 0 and fates["not_acknowledged"] > 0
    assert stats.lost == fates["lost"]
    received = view[view["received"]]
    assert set(received["listener_delivery_id"]) <= set(everything.log.deliveries["delivery_id"])
    # Nothing reaches the listener that the emulator did not send.
    sent = everything.log.deliveries["emulator_attempt"].notna()
    assert sent.sum() == len(received)
    assert everything.receiver["lost"] == fates["lost"]


def test_the_same_seed_gives_the_same_attempts(everything) -> None:
    again = hsnb.simulate(EVERYTHING, seed=11, progress=False, timeout=300)
    columns = [c for c in everything.attempts.columns if c not in ("duration", "url")]
    pd.testing.assert_frame_equal(everything.attempts[columns], again.attempts[columns])


def test_the_command_line_writes_a_store_and_says_what_happened(tmp_path, capsys) -> None:
    store = tmp_path / "day.sqlite"
    code = simulate_main(
        ["--seed", "2", "--requests", "12", "--store", str(store), "--no-progress"]
        + ["--receiver", "lost=0.2", "--documents", "good=1"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("12 requests, ")
    assert "connection_error" in out
    assert len(hsnb.read_log(store).events) > 12


def _by_request(result) -> dict:
    """signature_request_id -> its plan, from the requests' titles."""
    events = result.log.events.drop_duplicates("signature_request_id")
    by_title = {f"Agreement {p.index + 1}": p for p in result.plans}
    return {
        row.signature_request_id: by_title[row.title]
        for row in events.itertuples()
        if isinstance(row.title, str) and row.title in by_title
    }


# -- truth and repeatability ------------------------------------------------------------------

#: 300 requests with every behaviour, for the repeatability test.
REPEATABLE = EVERYTHING.replace(requests=300, period=4 * 3600.0)


def burn(seconds: float) -> None:
    """Keep one core busy (a CPU hog in another process)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def comparable(result) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The frames of a run without what depends on the machine: wall-clock receive times, real
    durations, the local port in URLs. ``received_at`` stays: it is on the emulator's clock."""
    for frame in result.log:
        assert set(frame["received_clock"]) == {"emulated"}
    events = result.log.events.drop(columns=["received_wall_at"])
    deliveries = result.log.deliveries.drop(columns=["received_wall_at"])
    attempts = result.attempts.drop(columns=["duration", "url"])
    return events, deliveries, attempts


def test_the_same_seed_gives_the_same_log_under_any_load() -> None:
    runs = [hsnb.simulate(REPEATABLE, seed=5, progress=False, timeout=600)]
    with multiprocessing.get_context("spawn").Pool(2) as hogs:
        busy = hogs.map_async(burn, [60.0, 60.0])
        runs.append(hsnb.simulate(REPEATABLE, seed=5, progress=False, timeout=600))
        hogs.terminate()
        assert not busy.ready() or busy.successful()
    runs.append(hsnb.simulate(REPEATABLE, seed=5, progress=False, timeout=600))
    first = comparable(runs[0])
    assert len(first[0]) > 1000
    for other in runs[1:]:
        for mine, theirs in zip(first, comparable(other), strict=True):
            pd.testing.assert_frame_equal(mine, theirs)


def test_measured_signer_times_are_the_planned_ones() -> None:
    result = hsnb.simulate(
        EVERYTHING.replace(receiver=ReceiverBehaviour(), documents={"good": 1.0}),
        seed=9,
        progress=False,
    )
    times = signer_times(result.log.events).set_index("signer_name")
    planned = {s.name: s for p in result.plans for s in p.signers}
    checked = 0
    for name, row in times.iterrows():
        signer = planned[name]
        if pd.isna(row["viewed_at"]) or pd.isna(row["on_page"]):
            continue
        # event_time keeps whole seconds: each measured time is within a second of the plan.
        assert abs(row["on_page"].total_seconds() - signer.act_after) <= 1.0, name
        checked += 1
    assert checked > 40
