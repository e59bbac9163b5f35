"""Pictures of event timings (matplotlib): request timelines, callback lateness, retries.

Each function draws on ``ax`` (a new figure when ``None``) and returns the Axes; nothing here
calls ``plt.show()``, reads the clock or draws random numbers, so the same frame gives the same
picture. Times are drawn in UTC.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from hsnb.analysis import read_log
>>> plot_timeline(read_log().events).get_title()
'Signature requests: events by time'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from hsnb.analysis import EVENT_ORDER, latencies
from hsnb.durations import readable_duration

#: Marker and colour of each event type in every plot (other types: a grey dot).
EVENT_STYLE: dict[str, tuple[str, str]] = {
    "signature_request_sent": ("o", "#1f77b4"),
    "signature_request_viewed": ("v", "#7f7f7f"),
    "signature_request_signed": ("s", "#2ca02c"),
    "signature_request_all_signed": ("D", "#006400"),
    "signature_request_downloadable": ("P", "#9467bd"),
    "signature_request_declined": ("X", "#d62728"),
    "signature_request_canceled": ("x", "#000000"),
    "signature_request_remind": ("^", "#bcbd22"),
    "signature_request_expired": ("h", "#8c564b"),
    "file_error": ("*", "#ff7f0e"),
    "unknown_error": ("*", "#e377c2"),
    "signature_request_invalid": ("*", "#8c564b"),
}
_OTHER_STYLE = (".", "#a0a0a0")
_LABEL_CHARS = 30


def plot_timeline(
    events: pd.DataFrame, *, time: str = "event_time", ax: Axes | None = None
) -> Axes:
    """One lane per signature request, one marker per event, at ``time`` (``"event_time"``,
    when it happened, or ``"received_at"``, when the callback arrived).

    Lanes are ordered by each request's first event, top down, and labelled with its title;
    within a lane each event type keeps its own small offset so that events of one second do
    not hide each other. A grey line runs from ``created_at`` (when the frame has it) to the
    last event.
    """
    if time not in ("event_time", "received_at"):
        raise ValueError(f"time must be 'event_time' or 'received_at', not {time!r}")
    ax = ax if ax is not None else plt.subplots(figsize=(9, 4))[1]
    scoped = events[events["signature_request_id"].notna()]
    first = scoped.groupby("signature_request_id", sort=False)["event_time"].min()
    order = first.reset_index().sort_values(["event_time", "signature_request_id"])
    lanes = {request_id: i for i, request_id in enumerate(order["signature_request_id"])}
    types = _ordered_types(scoped)
    spread = np.linspace(-0.25, 0.25, len(types)) if len(types) > 1 else np.zeros(len(types))
    offsets = dict(zip(types, spread, strict=True))
    for request_id, lane in lanes.items():
        group = scoped[scoped["signature_request_id"] == request_id]
        start = group["created_at"].min() if "created_at" in group else pd.NaT
        start = group[time].min() if pd.isna(start) else min(start, group[time].min())
        ax.plot([_naive(start), _naive(group[time].max())], [lane, lane], color="#d0d0d0", lw=1)
    for event_type in types:
        rows = scoped[scoped["event_type_raw"] == event_type]
        marker, color = EVENT_STYLE.get(event_type, _OTHER_STYLE)
        y = rows["signature_request_id"].map(lanes) + offsets[event_type]
        label = event_type.removeprefix("signature_request_")
        ax.scatter(_naive(rows[time]), y, marker=marker, color=color, s=36, label=label, zorder=3)
    ax.set_yticks(range(len(lanes)), [_lane_label(scoped, r) for r in lanes])
    ax.set_ylim(max(len(lanes), 1) - 0.5, -0.5)
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # seconds when it matters
    what = "event time" if time == "event_time" else "received at"
    ax.set_xlabel(f"{what} (UTC)")
    ax.set_title(f"Signature requests: events by {'time' if time == 'event_time' else 'arrival'}")
    ax.grid(axis="x", color="#eeeeee")
    if types:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small")
    return ax


def plot_latencies(events: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Callback delay (``received_at - event_time``) by event type: every event as a dot and
    the median as a bar, on a log scale (delays under 10 ms are drawn at 10 ms).

    Dotted lines mark the first two retries of Dropbox Sign's schedule (5 and 20 minutes after
    the first attempt): dots near them are events whose first delivery failed.
    """
    ax = ax if ax is not None else plt.subplots(figsize=(8, 4))[1]
    delays = latencies(events)
    seconds = delays["delay"].dt.total_seconds().clip(lower=0.01)
    types = _ordered_types(delays)
    for row, event_type in enumerate(types):
        values = np.sort(seconds[delays["event_type_raw"] == event_type].dropna().to_numpy())
        marker, color = EVENT_STYLE.get(event_type, _OTHER_STYLE)
        spread = np.linspace(-0.2, 0.2, len(values)) if len(values) > 1 else np.zeros(len(values))
        ax.scatter(values, row + spread, color=color, s=18, zorder=3)
        if len(values):
            ax.plot([np.median(values)] * 2, [row - 0.3, row + 0.3], color="#000000", lw=2)
    ax.set_yticks(range(len(types)), [t.removeprefix("signature_request_") for t in types])
    ax.set_ylim(max(len(types), 1) - 0.5, -0.5)
    ax.set_xscale("log")
    for minutes in (5, 20):
        ax.axvline(minutes * 60, color="#999999", ls=":", lw=1)
        ax.text(minutes * 60, -0.5, f" {minutes} min", va="bottom", fontsize="small", color="#666")
    ax.set_xlabel("callback delay: received_at - event_time (s, log scale); bar: median")
    ax.set_title("How late callbacks arrive", pad=14)
    ax.grid(axis="x", color="#eeeeee")
    return ax


def plot_attempts(
    attempts: pd.DataFrame,
    *,
    labels: Mapping[int, str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Every attempt of each delivery in ``attempts`` (``Emulator.deliveries()``, schema
    :data:`hsnb.frames.ATTEMPT_COLUMNS`): one lane per delivery, each attempt at its time since
    the delivery's first attempt, acknowledged ones as green dots, the others as red crosses,
    each retry labelled with the wait before it.

    The time axis is linear up to 10 minutes and logarithmic beyond (matplotlib's ``symlog``),
    so Dropbox Sign's 5-minute first retry and its 20-hour last one both show; its ticks are
    the attempts' own times. ``labels`` names lanes by ``delivery_id`` (default: the event type
    and the delivery id).
    """
    ax = (
        ax
        if ax is not None
        else plt.subplots(figsize=(9, 2.2 + 0.5 * attempts["delivery_id"].nunique()))[1]
    )
    deliveries = list(
        dict.fromkeys(attempts.sort_values(["sent_at", "delivery_id"])["delivery_id"])
    )
    ticks: set[float] = set()
    for lane, delivery_id in enumerate(deliveries):
        rows = attempts[attempts["delivery_id"] == delivery_id].sort_values("attempt")
        minutes = ((rows["sent_at"] - rows["sent_at"].iloc[0]).dt.total_seconds() / 60).to_numpy()
        ticks.update(minutes.round(6))
        ax.plot(minutes, [lane] * len(minutes), color="#d0d0d0", lw=1, zorder=1)
        acknowledged = (rows["outcome"] == "acknowledged").to_numpy()
        for mask, marker, color, label in (
            (~acknowledged, "x", "#d62728", "not acknowledged"),
            (acknowledged, "o", "#2ca02c", "acknowledged"),
        ):
            if mask.any():
                ax.scatter(
                    minutes[mask],
                    [lane] * int(mask.sum()),
                    marker=marker,
                    color=color,
                    s=48,
                    zorder=3,
                    label=label,
                )
        for before, at in zip(minutes[:-1], minutes[1:], strict=True):
            wait = readable_duration(pd.Timedelta(minutes=at - before))
            ax.annotate(
                f"+{wait}",
                (at, lane),
                textcoords="offset points",
                xytext=(0, 8),
                ha="center",
                fontsize="x-small",
                color="#555555",
            )
    names = labels or {}
    ax.set_yticks(
        range(len(deliveries)),
        [names.get(d, _attempt_lane_label(attempts, d)) for d in deliveries],
    )
    ax.set_ylim(len(deliveries) - 0.4, -0.7)
    ax.set_xscale("symlog", linthresh=10, linscale=0.6)
    shown = sorted(ticks)
    ax.set_xticks(shown, [readable_duration(pd.Timedelta(minutes=m)) if m else "0" for m in shown])
    ax.tick_params(axis="x", labelrotation=30, labelsize="small")
    ax.set_xlim(-0.5, max(shown[-1] * 1.5, 10) if shown else 10)
    ax.set_xlabel("time since the delivery's first attempt (linear to 10 min, then log)")
    ax.set_title("Callback attempts and retries", pad=12)
    handles, texts = ax.get_legend_handles_labels()
    unique = dict(zip(texts, handles, strict=True))
    if unique:
        ax.legend(
            unique.values(),
            unique.keys(),
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            frameon=False,
            fontsize="small",
        )
    ax.grid(axis="x", color="#eeeeee")
    return ax


def _attempt_lane_label(attempts: pd.DataFrame, delivery_id: int) -> str:
    event_type = attempts.loc[attempts["delivery_id"] == delivery_id, "event_type"].iloc[0]
    return f"{str(event_type).removeprefix('signature_request_')} #{delivery_id}"


def _ordered_types(frame: pd.DataFrame) -> list[str]:
    present = set(frame["event_type_raw"].dropna())
    known = [t for t in EVENT_ORDER if t in present]
    return known + sorted(present - set(known))


def _lane_label(events: pd.DataFrame, request_id: str) -> str:
    titles = events.loc[events["signature_request_id"] == request_id, "title"].dropna()
    label = titles.iloc[-1] if len(titles) else request_id[:12]
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


def _naive(values: Any) -> Any:
    """UTC times without the zone, as matplotlib's date axis wants them."""
    if isinstance(values, pd.Series):
        return values.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.Timestamp(values).tz_convert("UTC").tz_localize(None)
