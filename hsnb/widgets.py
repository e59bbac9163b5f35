"""Live views of incoming callbacks for Jupyter (ipywidgets), and helpers for readable tables.

:class:`LiveEvents` is an ``ipywidgets.HTML`` whose table refreshes each time the listener
records a delivery. :class:`SigningPanel` puts a signer's sign page (an IFrame) beside one, so a
notebook can be signed in and watched at once; durations in its tables read as people write them
(:func:`hsnb.durations.readable_duration`).

A table's refresh runs in the listener's delivery hook, on hsnb's server thread, and only sets
the widget's ``value`` (a single trait, which ipywidgets sends from any thread); it never reads
the store there, so a slow notebook cannot slow the listener down.

Their plain-text forms (what a notebook saves as ``text/plain`` and nbval compares) hold counts
and names only, no times, ports or ids, so they are the same on every run that receives the same
callbacks.

>>> from hsnb.listener import Listener
>>> with Listener(name="doctest-widgets") as listener:
...     LiveEvents(listener)
LiveEvents: 0 events, 0 deliveries (0 duplicate, 0 refused)
"""

from __future__ import annotations

import html
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ipywidgets
import pandas as pd
from IPython.display import HTML

from hsnb.durations import readable_duration
from hsnb.errors import Conflict, PayloadError
from hsnb.events import parse_event
from hsnb.frames import UTC_TIME, VERDICT_DTYPE, event_record, to_frame
from hsnb.receiver import Answer
from hsnb.store import EventStore

#: Columns of the live table (one row per delivery, newest first).
LIVE_COLUMNS: dict[str, Any] = {
    "received_at": UTC_TIME,
    "verdict": VERDICT_DTYPE,
    "status": "Int64",
    "event_type": "string",
    "event_time": UTC_TIME,
    "title": "string",
    "signer_name": "string",
    "note": "string",
}
#: Columns :func:`event_table` shows when none are given.
EVENT_TABLE_COLUMNS: tuple[str, ...] = (
    "event_time",
    "received_at",
    "event_type_raw",
    "title",
    "signer_name",
    "deliveries",
)
#: The columns a :class:`SigningPanel`'s table shows: narrow enough to sit beside the page.
PANEL_COLUMNS: tuple[str, ...] = ("event_time", "event_type", "signer_name", "status", "note")
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Cells never wrap (a time broken over two lines reads as two values); a long note scrolls.
_STYLE = (
    "<style>.hsnb-table{border-collapse:collapse;font-size:12px}"
    ".hsnb-table th,.hsnb-table td{padding:2px 8px;text-align:left;border-bottom:1px solid #ddd;"
    "white-space:nowrap}"
    ".hsnb-table .rejected{color:#b00}.hsnb-table .duplicate{color:#888}"
    ".hsnb-scroll{overflow-x:auto;max-width:100%}</style>"
)


class LiveEvents(ipywidgets.HTML):
    """A table of the latest deliveries a :class:`~hsnb.listener.Listener` records, kept up
    to date as callbacks arrive (newest first, at most ``max_rows``), under a line of counts.

    It starts from what the listener's store already holds. ``columns`` chooses what the
    table shows (default: every column of :data:`LIVE_COLUMNS`; :attr:`rows` always has them
    all) and ``time_format`` how times read (UTC, to the second by default). A refused callback
    whose body could be read keeps its claimed ``event_type``.
    :meth:`close` stops the updates and removes its hook from the listener. Updates come from
    the listener's loop thread; ipykernel sends widget messages from any thread through its
    IOPub thread.
    """

    def __init__(
        self,
        listener: Any,
        *,
        max_rows: int = 10,
        columns: Sequence[str] | None = None,
        time_format: str = _TIME_FORMAT,
        **kwargs: Any,
    ) -> None:
        self._remove_hook: Callable[[], None] = lambda: None
        self._time_format = time_format
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self._columns = tuple(columns) if columns is not None else tuple(LIVE_COLUMNS)
        unknown = [c for c in self._columns if c not in LIVE_COLUMNS]
        if unknown:
            raise KeyError(f"no such columns: {', '.join(unknown)}")
        self._lock = threading.Lock()
        self._rows: deque[dict[str, Any]] = deque(maxlen=max_rows)
        self._counts: Counter[str] = Counter()
        self._active = True
        super().__init__(**kwargs)
        self._load(listener.store)
        self._render()
        self._remove_hook = listener.on_delivery(self._on_delivery)

    def __repr__(self) -> str:
        with self._lock:
            counts = Counter(self._counts)
        total = sum(counts.values())
        return (
            f"LiveEvents: {counts['accepted']} events, {total} deliveries "
            f"({counts['duplicate']} duplicate, {counts['rejected']} refused)"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    @property
    def rows(self) -> pd.DataFrame:
        """The rows shown, newest first (:data:`LIVE_COLUMNS`)."""
        with self._lock:
            return to_frame(list(self._rows), LIVE_COLUMNS)

    def close(self) -> None:
        """Stop updating and close the widget."""
        self._active = False
        self._remove_hook()
        super().close()

    def _load(self, store: EventStore) -> None:
        events = {row["event_key"]: row for row in store.event_rows()}
        for row in store.delivery_rows():
            self._counts[row["verdict"]] += 1
            event = events.get(row["event_key"]) if row["event_key"] else None
            self._rows.appendleft(
                _row(
                    row["received_at"],
                    row["verdict"],
                    row["status"],
                    event["payload"] if event else None,
                    row["reason"],
                    claimed_type=row.get("event_type"),
                )
            )

    def _on_delivery(self, answer: Answer) -> None:
        if not self._active or answer.record is None:
            return
        verdict = str(answer.record.verdict)
        payload = answer.event.payload if answer.event is not None else None
        reason = None if answer.acknowledged else answer.text
        received_at = answer.received_at or datetime.now(UTC)
        claimed = answer.unverified.event_type if answer.unverified is not None else None
        row = _row(received_at, verdict, answer.status, payload, reason, claimed_type=claimed)
        with self._lock:
            self._counts[verdict] += 1
            self._rows.appendleft(row)
        self._render()

    def _render(self) -> None:
        frame = self.rows
        summary = html.escape(repr(self))
        table = _table_html(frame, self._columns, self._time_format)
        self.value = f"{_STYLE}<div><b>{summary}</b></div><div class='hsnb-scroll'>{table}</div>"


def _row(
    received_at: Any,
    verdict: str,
    status: int,
    payload: str | Mapping[str, Any] | None,
    reason: str | None,
    *,
    claimed_type: str | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if payload is not None:
        try:
            record = event_record(parse_event(payload))
        except PayloadError:  # a stored row is shown even if it no longer parses
            record = {}
        record["event_type"] = record.get("event_type_raw")
    if not record.get("event_type") and claimed_type:
        record["event_type"] = claimed_type  # refused: the type it claimed, not trusted
    note = {"duplicate": "retry of an event already stored"}.get(verdict, reason)
    return {
        **record,
        "received_at": pd.Timestamp(received_at),
        "verdict": verdict,
        "status": status,
        "note": note,
    }


class SigningPanel(ipywidgets.Box):
    """A signer's sign page (an IFrame of ``sign_url``) beside a :class:`LiveEvents` table of
    what the listener receives, so you sign and watch the callbacks arrive in one place.

    In JupyterLab the frame shows the page the signer sees: the emulator's page (the real
    service's sign URLs open only through ``hellosign-embedded`` on an allowed domain; see
    notebook 06). Opening the page uses the sign URL: it works once, as on the real service.
    Without a browser (nbval, a script) nothing opens it, and :meth:`sign_unless_clicked` signs
    in place of the click. The two sit side by side and wrap under each other in a narrow
    window. :meth:`close` closes both.
    """

    def __init__(
        self,
        sign_url: str,
        listener: Any,
        *,
        signer: str | None = None,
        height: int = 560,
        max_rows: int = 8,
        columns: Sequence[str] = PANEL_COLUMNS,
        **kwargs: Any,
    ) -> None:
        self.sign_url = sign_url
        self.signer = signer
        found = parse_qs(urlsplit(sign_url).query).get("signature_id", [None])
        #: The signer's ``signature_id`` (from the sign URL's query), or ``None``.
        self.signature_id: str | None = found[0]
        page = (
            f'<iframe src="{html.escape(sign_url)}" title="sign page" '
            f'style="width:100%;height:{int(height)}px;border:1px solid #ccd;border-radius:4px">'
            "</iframe>"
        )
        self.frame = ipywidgets.HTML(page, layout=ipywidgets.Layout(flex="3 1 420px"))
        self.table = LiveEvents(
            listener,
            max_rows=max_rows,
            columns=columns,
            time_format="%H:%M:%S",  # beside a page, the time of day is enough
            layout=ipywidgets.Layout(flex="2 1 320px", margin="0 0 0 12px", overflow="auto"),
        )
        layout = ipywidgets.Layout(
            display="flex", flex_flow="row wrap", align_items="flex-start", width="100%"
        )
        super().__init__([self.frame, self.table], layout=layout, **kwargs)

    def __repr__(self) -> str:
        who = f" of {self.signer}" if self.signer else ""
        return f"SigningPanel: the sign page{who} | {self.table!r}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def sign_unless_clicked(self, emulator: Any) -> str:
        """Sign as this panel's signer through ``emulator`` (``Emulator.sign``), unless the
        signer already signed or is signing in the page: what a run without anyone at the page
        does in place of the click. Returns who signed: ``"the emulator"`` or ``"the page"``.

        Raises ``ValueError`` when the sign URL names no ``signature_id``, and the emulator's
        error when the request cannot be signed for another reason.
        """
        if self.signature_id is None:
            raise ValueError("the sign URL has no signature_id to sign as")
        try:
            emulator.sign(self.signature_id)
        except Conflict as error:
            if "already been signed" in error.error_msg or "already busy" in error.error_msg:
                return "the page"
            raise
        return "the emulator"

    def close(self) -> None:
        """Stop the table's updates and close the panel."""
        self.table.close()
        self.frame.close()
        super().close()


def event_table(
    frame: pd.DataFrame, *, columns: Sequence[str] | None = None, max_rows: int = 20
) -> HTML:
    """A compact HTML table of (the last ``max_rows`` rows of) an events or deliveries frame.

    Times are shown in UTC to the second, missing values as blanks, text escaped. The
    ``text/plain`` form is IPython's fixed ``<IPython.core.display.HTML object>``.
    """
    if columns is None:
        columns = [c for c in EVENT_TABLE_COLUMNS if c in frame.columns]
    unknown = [c for c in columns if c not in frame.columns]
    if unknown:
        raise KeyError(f"no such columns: {', '.join(unknown)}")
    return HTML(_STYLE + _table_html(frame.tail(max_rows), columns))


def _table_html(
    frame: pd.DataFrame, columns: Sequence[str], time_format: str = _TIME_FORMAT
) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for record in frame[list(columns)].to_dict("records"):
        verdict = record.get("verdict")
        css = f' class="{verdict}"' if verdict in ("rejected", "duplicate") else ""
        cells = "".join(f"<td>{html.escape(_cell(record[c], time_format))}</td>" for c in columns)
        body.append(f"<tr{css}>{cells}</tr>")
    return f'<table class="hsnb-table"><tr>{head}</tr>{"".join(body)}</table>'


def _cell(value: Any, time_format: str = _TIME_FORMAT) -> str:
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime(time_format)
    if isinstance(value, pd.Timedelta):
        return readable_duration(value)
    return str(value)
