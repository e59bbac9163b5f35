"""hsnb.durations: durations written for people, one frame column or Series at a time."""

from __future__ import annotations

import pandas as pd
import pytest

from hsnb.analysis import lifecycle, read_log
from hsnb.durations import readable, readable_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 ms"),
        (0.0123, "12 ms"),
        (2.392333, "2.4 s"),
        (36, "36 s"),
        (300, "5 min"),
        (1204.1, "20 min 4 s"),
        (6856, "1 h 54 min"),
        (8100, "2 h 15 min"),
        (72900, "20 h 15 min"),
        (86400 * 3, "3 d"),
        (-2.5, "-2.5 s"),
    ],
)
def test_readable_duration(seconds: float, text: str) -> None:
    assert readable_duration(pd.Timedelta(seconds=seconds)) == text


@pytest.mark.parametrize("missing", [None, pd.NaT, float("nan")])
def test_a_missing_duration_is_blank(missing: object) -> None:
    assert readable_duration(missing) == ""


def test_readable_rewrites_only_the_duration_columns() -> None:
    table = lifecycle(read_log().events.iloc[0:0])
    frame = pd.DataFrame(
        {"title": ["NDA", "Lease"], "lag": pd.to_timedelta([2.4, None], unit="s"), "n": [1, 2]}
    )
    shown = readable(frame)
    assert shown["lag"].tolist() == ["2.4 s", ""]
    assert shown["title"].tolist() == ["NDA", "Lease"] and shown["n"].tolist() == [1, 2]
    assert frame["lag"].dtype.kind == "m"  # the original is untouched
    assert list(readable(table).columns) == list(table.columns)


def test_readable_takes_a_series() -> None:
    lags = pd.Series(pd.to_timedelta([300, 1215], unit="s"), name="download_lag")
    assert readable(lags).tolist() == ["5 min", "20 min 15 s"]
    assert readable(pd.Series(["a"])).tolist() == ["a"]
