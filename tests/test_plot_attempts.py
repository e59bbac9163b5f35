"""hsnb.plots.plot_attempts: a delivery's retries, drawn from the emulator's real attempt log."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib
import matplotlib.pyplot as plt
import pytest

from hsnb.emulator import DEFAULT_EPOCH, Emulator
from hsnb.plots import plot_attempts
from hsnb.testing import Receiver

matplotlib.use("Agg")


@pytest.fixture
def attempts() -> Iterator:
    """Two deliveries: one never acknowledged (seven attempts, 30 hours), one at once."""
    with (
        Receiver(script=[(200, "OK", 0.0)] * 7) as wrong,
        Receiver() as right,
        Emulator(
            seed=0, name="test-plot-attempts", start_time=DEFAULT_EPOCH, time_scale=None
        ) as em,
    ):
        em.callback_test(url=wrong.url)
        em.callback_test(url=right.url)
        assert em.wait_idle()
        while (deadline := em.next_deadline()) is not None:
            em.advance(deadline - em.clock.now())
            assert em.wait_idle()
        yield em.deliveries()
    plt.close("all")


def test_one_lane_per_delivery_one_marker_per_attempt(attempts) -> None:
    ax = plot_attempts(attempts, labels={1: "answers 200 OK"})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["answers 200 OK", "callback_test #2"]
    crosses, dots = (c for c in ax.collections)
    assert len(crosses.get_offsets()) == 7 and len(dots.get_offsets()) == 1
    waits = [text.get_text() for text in ax.texts]
    assert waits == ["+5 min", "+15 min", "+45 min", "+2 h 15 min", "+6 h 45 min", "+20 h 15 min"]


def test_the_time_axis_is_symlog_and_ticks_at_the_attempts(attempts) -> None:
    ax = plot_attempts(attempts)
    assert ax.get_xscale() == "symlog"
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["0", "5 min", "20 min", "1 h 5 min", "3 h 20 min", "10 h 5 min", "1 d 6 h"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "not acknowledged",
        "acknowledged",
    ]
