"""The emulated clock, delay distributions and the seeded id source."""

from __future__ import annotations

import asyncio
import random
import re

import pytest

from hsnb.emulator.service.clock import DEFAULT_EPOCH, Clock, Delay
from hsnb.emulator.service.ids import Randomness


def test_fixed_start_does_not_move_by_itself():
    clock = Clock(DEFAULT_EPOCH, time_scale=1.0)
    assert clock.now() == DEFAULT_EPOCH
    assert clock.timestamp() == DEFAULT_EPOCH


def test_wall_start_follows_real_time_scaled():
    ticks = iter([0.0, 0.5])
    clock = Clock(1000, time_scale=0.01, follow_wall=True, monotonic=lambda: next(ticks))
    assert clock.now() == pytest.approx(1050)


def test_advance_fires_due_timers_in_deadline_order_at_their_times():
    clock = Clock(DEFAULT_EPOCH, time_scale=None)
    seen = []
    clock.call_later(5, lambda: seen.append(("b", clock.now() - DEFAULT_EPOCH)))
    clock.call_later(2, lambda: seen.append(("a", clock.now() - DEFAULT_EPOCH)))
    clock.call_later(9, lambda: seen.append(("c", clock.now() - DEFAULT_EPOCH)))
    assert clock.advance(6) == 2
    assert seen == [("a", 2), ("b", 5)]
    assert clock.now() - DEFAULT_EPOCH == 6
    assert clock.pending() == 1


def test_zero_delay_timer_fires_on_advance_zero():
    clock = Clock(DEFAULT_EPOCH, time_scale=None)
    seen = []
    clock.call_later(0, lambda: seen.append(1))
    clock.advance(0)
    assert seen == [1]


def test_cancelled_timer_never_fires():
    clock = Clock(DEFAULT_EPOCH, time_scale=None)
    seen = []
    clock.call_later(1, lambda: seen.append(1)).cancel()
    clock.advance(5)
    assert seen == []


def test_failing_timer_is_recorded_and_later_timers_still_fire():
    clock = Clock(DEFAULT_EPOCH, time_scale=None)
    seen = []
    clock.call_later(1, lambda: 1 / 0)
    clock.call_later(2, lambda: seen.append(2))
    clock.advance(3)
    assert seen == [2]
    assert isinstance(clock.errors[0], ZeroDivisionError)


def test_clock_cannot_go_backwards():
    with pytest.raises(ValueError, match="backwards"):
        Clock(DEFAULT_EPOCH).advance(-1)


def test_negative_time_scale_is_refused():
    with pytest.raises(ValueError, match="time_scale"):
        Clock(DEFAULT_EPOCH, time_scale=-1)


def test_attached_clock_replays_hours_in_milliseconds():
    async def main() -> float:
        clock = Clock(DEFAULT_EPOCH, time_scale=1e-6)
        clock.attach(asyncio.get_running_loop())
        await asyncio.wait_for(clock.sleep(30 * 3600), 2)
        return clock.now() - DEFAULT_EPOCH

    assert asyncio.run(main()) == 30 * 3600


def test_manual_clock_does_not_fire_on_real_time():
    async def main() -> list[int]:
        clock = Clock(DEFAULT_EPOCH, time_scale=None)
        clock.attach(asyncio.get_running_loop())
        seen: list[int] = []
        clock.call_later(0.001, lambda: seen.append(1))
        clock.call_later(0, lambda: seen.append(0))
        await asyncio.sleep(0.05)
        return seen

    assert asyncio.run(main()) == [0]


def test_reset_returns_to_the_fixed_start():
    clock = Clock(DEFAULT_EPOCH, time_scale=None)
    clock.advance(100)
    clock.reset()
    assert clock.now() == DEFAULT_EPOCH


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, Delay.zero()),
        (2, Delay.fixed(2)),
        ("2.5", Delay.fixed(2.5)),
        ("uniform:1,3", Delay.uniform(1, 3)),
        ("exponential:60", Delay.exponential(60)),
        ("lognormal:2,0.5", Delay.lognormal(2, 0.5)),
    ],
)
def test_delay_parse(spec, expected):
    assert Delay.parse(spec) == expected


def test_delay_parse_refuses_unknown_distribution():
    with pytest.raises(ValueError, match="unknown delay distribution 'gamma'"):
        Delay.parse("gamma:1,2")


@pytest.mark.parametrize(
    "delay", [Delay.uniform(1, 3), Delay.exponential(5), Delay.lognormal(2, 0.5)]
)
def test_delay_draws_are_reproducible_and_not_negative(delay):
    first = [delay.draw(random.Random(7)) for _ in range(3)]
    second = [delay.draw(random.Random(7)) for _ in range(3)]
    assert first == second
    assert all(d >= 0 for d in first)


def test_uniform_delay_stays_in_bounds():
    rng = random.Random(1)
    assert all(1 <= Delay.uniform(1, 3).draw(rng) <= 3 for _ in range(100))


def test_same_seed_same_ids():
    a, b = Randomness(42), Randomness(42)
    assert [a.request_id(), a.signature_id()] == [b.request_id(), b.signature_id()]


def test_ids_have_the_real_shapes():
    source = Randomness(0)
    assert re.fullmatch(r"[0-9a-f]{40}", source.request_id())
    assert re.fullmatch(r"[0-9a-f]{32}", source.signature_id())
    assert re.fullmatch(r"[0-9a-f]{32}", source.client_id())
    assert re.fullmatch(r"[0-9a-f]{64}", source.api_key())


def test_next_deadline_is_the_earliest_pending_timer():
    clock = Clock(DEFAULT_EPOCH, time_scale=None)
    assert clock.next_deadline() is None
    clock.call_later(9, lambda: None)
    clock.call_later(4, lambda: None).cancel()
    clock.call_later(6, lambda: None)
    assert clock.next_deadline() == DEFAULT_EPOCH + 6
    clock.advance(7)
    assert clock.next_deadline() == DEFAULT_EPOCH + 9
    clock.advance(5)
    assert clock.next_deadline() is None


def test_is_due_only_when_a_timer_is_at_or_before_now():
    clock = Clock(DEFAULT_EPOCH, time_scale=None)
    assert not clock.is_due()
    clock.call_later(3, lambda: None)
    assert not clock.is_due()
    clock.call_later(0, lambda: None)
    assert clock.is_due()
    clock.advance(0)
    assert not clock.is_due()
