"""Durations as people write them: ``2.4 s``, ``3 min 12 s``, ``2 h 15 min``.

pandas prints a ``Timedelta`` as ``0 days 00:00:02.392333``; tables and plots meant for reading
use :func:`readable_duration`, and :func:`readable` rewrites every duration column of a frame.

>>> import pandas as pd
>>> readable(pd.DataFrame({"title": ["NDA"], "processing": [pd.Timedelta(seconds=42.4)]}))
  title processing
0   NDA     42.4 s
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def readable_duration(value: Any) -> str:
    """A duration as people write it: ``'850 ms'``, ``'2.4 s'``, ``'3 min 12 s'``,
    ``'2 h 15 min'``, ``'1 d 3 h'``; ``''`` when missing.

    >>> [readable_duration(pd.Timedelta(seconds=s)) for s in (0.85, 2.39, 192, 8100, 97200)]
    ['850 ms', '2.4 s', '3 min 12 s', '2 h 15 min', '1 d 3 h']
    """
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return readable_seconds(pd.Timedelta(value).total_seconds())


def readable_seconds(seconds: float) -> str:
    """:func:`readable_duration` of a number of seconds.

    >>> readable_seconds(0.012), readable_seconds(31.0)
    ('12 ms', '31 s')
    """
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    if seconds < 1:
        text = f"{seconds * 1000:.0f} ms"
    elif seconds < 60:
        text = f"{seconds:.1f} s".replace(".0 s", " s")
    elif seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        text = f"{minutes} min {rest} s" if rest else f"{minutes} min"
    elif seconds < 86400:
        hours, rest = divmod(round(seconds / 60), 60)
        text = f"{hours} h {rest} min" if rest else f"{hours} h"
    else:
        days, rest = divmod(round(seconds / 3600), 24)
        text = f"{days} d {rest} h" if rest else f"{days} d"
    return sign + text


def readable(data: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """A copy of ``data`` for reading: every duration column (or a duration Series) written
    by :func:`readable_duration`; everything else unchanged. For display only: the durations
    become text."""
    if isinstance(data, pd.Series):
        if pd.api.types.is_timedelta64_dtype(data.dtype):
            return data.map(readable_duration).astype("string")
        return data.copy()
    result = data.copy()
    for name in result.columns:
        if pd.api.types.is_timedelta64_dtype(result[name].dtype):
            result[name] = result[name].map(readable_duration).astype("string")
    return result
