"""hsnb.widgets: a live table fed by a real listener's delivery hook; an HTML table helper."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pandas.testing as pdt
import pytest
import requests

from hsnb.analysis import read_log
from hsnb.listener import Listener
from hsnb.widgets import LIVE_COLUMNS, PANEL_COLUMNS, LiveEvents, SigningPanel, event_table
from tests.conftest import KEY, post_multipart, sent_payload

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "events" / "sample-log.sqlite"


def test_repr_of_a_new_view_holds_counts_only(listener: Listener) -> None:
    assert repr(LiveEvents(listener)) == (
        "LiveEvents: 0 events, 0 deliveries (0 duplicate, 0 refused)"
    )


def test_text_plain_of_the_widget_is_its_repr(listener: Listener) -> None:
    view = LiveEvents(listener)
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"] == repr(view)
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_a_callback_adds_a_row_and_updates_the_html(listener: Listener) -> None:
    view = LiveEvents(listener)
    post_multipart(listener.url, sent_payload())
    row = view.rows.iloc[0]
    assert (row["verdict"], row["status"], row["event_type"]) == (
        "accepted",
        200,
        "signature_request_sent",
    )
    assert row["title"] == "NDA" and row["signer_name"] == "Jack"
    assert repr(view).startswith("LiveEvents: 1 events, 1 deliveries")
    assert "signature_request_sent" in view.value and repr(view) in view.value


def test_retries_and_refusals_are_shown_with_their_reason(listener: Listener) -> None:
    view = LiveEvents(listener)
    post_multipart(listener.url, sent_payload())
    post_multipart(listener.url, sent_payload())
    post_multipart(listener.url, sent_payload(key="wrong-key"))
    assert repr(view) == "LiveEvents: 1 events, 3 deliveries (1 duplicate, 1 refused)"
    newest, duplicate = view.rows.iloc[0], view.rows.iloc[1]
    assert (newest["verdict"], newest["status"]) == ("rejected", 403)
    assert newest["note"] == "event_hash does not match any configured API key"
    assert duplicate["note"] == "retry of an event already stored"


def test_a_refused_callback_keeps_the_event_type_it_claimed(listener: Listener) -> None:
    view = LiveEvents(listener)
    post_multipart(listener.url, sent_payload(event_type="signature_request_all_signed", key="x"))
    refused = view.rows.iloc[0]
    assert (refused["verdict"], refused["status"]) == ("rejected", 403)
    assert refused["event_type"] == "signature_request_all_signed"
    assert pd.isna(refused["title"])  # nothing else of an unverified body is shown
    assert "signature_request_all_signed" in view.value


def test_a_new_view_shows_the_claimed_type_of_a_stored_refusal(listener: Listener) -> None:
    post_multipart(listener.url, sent_payload(key="wrong-key"))
    assert listener.deliveries()["event_type"].tolist() == ["signature_request_sent"]
    assert LiveEvents(listener).rows.iloc[0]["event_type"] == "signature_request_sent"


def test_cells_never_wrap(listener: Listener) -> None:
    post_multipart(listener.url, sent_payload())
    assert "white-space:nowrap" in LiveEvents(listener).value


def test_columns_choose_what_the_table_shows(listener: Listener) -> None:
    post_multipart(listener.url, sent_payload())
    view = LiveEvents(listener, columns=["event_type", "status"])
    assert "<th>event_type</th><th>status</th></tr>" in view.value
    assert "<th>received_at</th>" not in view.value
    assert list(view.rows.columns) == list(LIVE_COLUMNS)


def test_time_format_sets_how_times_read(listener: Listener) -> None:
    post_multipart(listener.url, sent_payload(event_time=1_767_225_661))
    assert "<td>00:01:01</td>" in LiveEvents(listener, time_format="%H:%M:%S").value
    assert "<td>2026-01-01 00:01:01</td>" in LiveEvents(listener).value


def test_unknown_columns_are_refused(listener: Listener) -> None:
    with pytest.raises(KeyError, match="no such columns: nope"):
        LiveEvents(listener, columns=["nope"])


def test_rows_have_the_declared_schema_newest_first(listener: Listener) -> None:
    view = LiveEvents(listener, max_rows=2)
    for when in (1_700_000_000, 1_700_000_100, 1_700_000_200):
        post_multipart(listener.url, sent_payload(event_time=when))
    rows = view.rows
    expected = pd.Series({k: pd.api.types.pandas_dtype(v) for k, v in LIVE_COLUMNS.items()})
    pdt.assert_series_equal(rows.dtypes, expected, check_names=False)
    assert rows["event_time"].tolist() == [
        pd.Timestamp(1_700_000_200, unit="s", tz="UTC"),
        pd.Timestamp(1_700_000_100, unit="s", tz="UTC"),
    ]
    assert repr(view).startswith("LiveEvents: 3 events")


def test_a_view_starts_from_what_the_store_holds(tmp_path: Path) -> None:
    copy = tmp_path / "log.sqlite"
    copy.write_bytes(SAMPLE.read_bytes())
    with Listener(copy, api_keys=KEY, name="test-widgets-store") as listener:
        view = LiveEvents(listener, max_rows=3)
        assert repr(view) == "LiveEvents: 237 events, 254 deliveries (17 duplicate, 0 refused)"
        # the newest first: a retry of the last expiry, five minutes after the first attempt
        assert view.rows["event_type"].tolist()[0] == "signature_request_expired"
        assert view.rows["received_at"].iloc[0] == pd.Timestamp(
            "2026-01-08 14:05:00.415173", tz="UTC"
        )


def test_close_stops_the_updates(listener: Listener) -> None:
    view = LiveEvents(listener)
    view.close()
    post_multipart(listener.url, sent_payload())
    assert view.rows.empty
    assert listener.events()["event_type"].tolist() == ["signature_request_sent"]


def test_a_non_callback_request_is_counted_as_refused(listener: Listener) -> None:
    view = LiveEvents(listener)
    requests.get(listener.url, timeout=10)
    assert view.rows.iloc[0]["status"] == 405
    assert repr(view).endswith("(0 duplicate, 1 refused)")


def test_max_rows_must_be_positive(listener: Listener) -> None:
    with pytest.raises(ValueError, match="max_rows must be at least 1"):
        LiveEvents(listener, max_rows=0)


def test_event_table_shows_the_last_rows_in_utc_seconds() -> None:
    events = read_log(SAMPLE).events
    table = event_table(events, max_rows=2)
    assert repr(table) == "<IPython.core.display.HTML object>"
    assert table.data.count("<tr>") == 3  # header and two rows
    assert "<td>2026-01-08 11:00:00</td>" in table.data
    assert "<th>event_type_raw</th>" in table.data


def test_event_table_escapes_text() -> None:
    frame = pd.DataFrame({"title": ["<script>x</script>"], "deliveries": [pd.NA]})
    html = event_table(frame).data
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html
    assert "<td></td>" in html


def test_event_table_of_an_empty_frame_has_its_header_only() -> None:
    html = event_table(read_log().events).data
    assert html.count("<tr>") == 1 and "<th>event_time</th>" in html


def test_event_table_refuses_unknown_columns() -> None:
    with pytest.raises(KeyError, match="no such columns: nope"):
        event_table(read_log().events, columns=["event_time", "nope"])


def test_signing_panel_shows_the_sign_page_beside_a_live_table(listener: Listener) -> None:
    url = "http://127.0.0.1:9/editor/embeddedSign?signature_id=abc&token=t&x=<1>"
    panel = SigningPanel(url, listener, signer="Jack Doe")
    frame, table = panel.children
    assert frame is panel.frame and table is panel.table
    assert '<iframe src="http://127.0.0.1:9/editor/embeddedSign?signature_id=abc&amp;token=t' in (
        frame.value
    )
    assert "&lt;1&gt;" in frame.value
    assert isinstance(table, LiveEvents)
    assert f"<th>{PANEL_COLUMNS[0]}</th>" in table.value
    assert repr(panel) == (
        "SigningPanel: the sign page of Jack Doe | "
        "LiveEvents: 0 events, 0 deliveries (0 duplicate, 0 refused)"
    )
    post_multipart(listener.url, sent_payload())
    assert repr(panel).endswith("LiveEvents: 1 events, 1 deliveries (0 duplicate, 0 refused)")


def test_the_text_of_a_signing_panel_has_no_port_and_fits_the_widget_repr(
    listener: Listener,
) -> None:
    panel = SigningPanel("http://127.0.0.1:9/s", listener, signer="Alice Example")
    text = panel._repr_mimebundle_()["text/plain"]
    assert text == repr(panel) and "127.0.0.1" not in text and len(text) <= 110


def test_closing_a_signing_panel_stops_its_table(listener: Listener) -> None:
    panel = SigningPanel("http://127.0.0.1:9/s", listener)
    panel.close()
    post_multipart(listener.url, sent_payload())
    assert panel.table.rows.empty


NDA = Path(__file__).resolve().parents[1] / "data" / "documents" / "nda-two-signers.pdf"


def sent_request(client: Any, listener: Listener) -> Any:
    """A two-signer embedded request, once ``signature_request_sent`` arrived."""
    sr = client.create_embedded(
        [NDA],
        [("Jack Doe", "jack@example.com"), ("Jill Doe", "jill@example.com")],
        use_text_tags=True,
    )
    listener.wait_for("signature_request_sent", signature_request_id=sr.signature_request_id)
    return sr


def test_sign_unless_clicked_signs_when_nobody_did(emulator, client, listener) -> None:
    sr = sent_request(client, listener)
    panel = SigningPanel(client.sign_url(sr.signature_ids[0]).sign_url, listener)
    assert panel.signature_id == sr.signature_ids[0]
    assert panel.sign_unless_clicked(emulator) == "the emulator"
    signed = listener.wait_for("signature_request_signed", timeout=10)
    assert signed.related_signature_id == sr.signature_ids[0]
    assert panel.sign_unless_clicked(emulator) == "the page"  # nothing is signed twice


def test_sign_unless_clicked_leaves_a_click_in_the_page_alone(emulator, client, listener) -> None:
    sr = sent_request(client, listener)
    panel = SigningPanel(client.sign_url(sr.signature_ids[1]).sign_url, listener)
    page = requests.get(panel.sign_url, timeout=10)  # what the IFrame does
    session = re.search(r'name="session" value="([^"]+)"', page.text).group(1)
    form = {"session": session, "action": "sign"}
    requests.post(f"{emulator.base_url}/editor/embeddedSign", data=form, timeout=10)
    assert panel.sign_unless_clicked(emulator) == "the page"
    listener.wait_for("signature_request_signed", timeout=10)
    emulator.wait_settled()
    assert len(listener.store.stored_events("signature_request_signed")) == 1


def test_sign_unless_clicked_needs_a_signature_id(emulator, listener) -> None:
    with pytest.raises(ValueError, match="no signature_id"):
        SigningPanel("http://127.0.0.1:9/page", listener).sign_unless_clicked(emulator)
