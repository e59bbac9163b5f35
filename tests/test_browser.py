"""The sign page in a real browser: Debian's headless Chromium, driven by Playwright.

A person opens an embedded sign URL (what a notebook shows in an IFrame), sees the document and
the buttons, clicks Sign or Decline, and the callback reaches the listener. The browser is
:mod:`tests.browsers`'s: everything stays on 127.0.0.1 and every wait is bounded.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from hsnb.client import Client, SignatureRequest
from hsnb.events import Event
from hsnb.listener import Listener
from tests.browsers import NEEDS_CHROMIUM, chromium, loopback_page

try:
    from playwright.sync_api import Browser, Frame, Page, expect
except ImportError:  # pragma: no cover - depends on the environment
    pass

pytestmark = NEEDS_CHROMIUM

NDA = Path(__file__).resolve().parents[1] / "data" / "documents" / "nda-two-signers.pdf"
SIGNERS = [("Jack Doe", "jack@example.com"), ("Jill Doe", "jill@example.com")]
TITLE = "NDA for Jack and Jill"
WAIT = 15.0  # seconds, for every wait (browser actions and callbacks alike)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (:func:`tests.browsers.chromium`)."""
    with chromium(30.0) as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page that stays on 127.0.0.1 (:func:`tests.browsers.loopback_page`)."""
    with loopback_page(browser, (1000, 900), WAIT) as opened:
        yield opened


def sent_request(client: Client, listener: Listener, **params: Any) -> SignatureRequest:
    """The two-signer NDA (text tags), once ``signature_request_sent`` reached the listener."""
    params.setdefault("allow_decline", True)
    sr = client.create_embedded([NDA], SIGNERS, use_text_tags=True, title=TITLE, **params)
    listener.wait_for(
        "signature_request_sent", signature_request_id=sr.signature_request_id, timeout=WAIT
    )
    return sr


def event_for(listener: Listener, event_type: str, signature_id: str) -> Event:
    """Wait for ``event_type`` about one signer (``related_signature_id``), bounded."""
    deadline = time.monotonic() + WAIT
    while True:
        for stored in listener.store.stored_events(event_type):
            if stored.event.related_signature_id == signature_id:
                return stored.event
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {event_type} for {signature_id} within {WAIT} s"
        listener.store.wait_for_change(min(remaining, 0.5))


def status_of(client: Client, sr: SignatureRequest, signature_id: str) -> Any:
    """The signer's entry in ``GET /signature_request/{id}``."""
    current = client.get(sr.signature_request_id)
    return next(s for s in current.signatures if s.signature_id == signature_id)


def pdf_viewer(page: Page) -> Frame:
    """The frame of Chromium's own PDF viewer inside the page's ``<object>``, once loaded."""
    deadline = time.monotonic() + WAIT
    while True:
        frames = [f for f in page.frames if f.url.startswith("chrome-extension://")]
        if frames:
            frames[0].wait_for_load_state("load")
            return frames[0]
        assert time.monotonic() < deadline, f"no PDF viewer in {[f.url for f in page.frames]}"
        page.wait_for_timeout(100)


def wait_for_pages(viewer: Frame, count: int) -> None:
    """Let the viewer finish drawing (its page count shows); only for a screenshot, since the
    viewer's markup is Chromium's own and may change between versions."""
    try:
        expect(viewer.locator("#pagelength")).to_have_text(str(count), timeout=5_000)
    except AssertionError:
        pass


def open_sign_page(page: Page, client: Client, signature_id: str) -> str:
    """Open a fresh sign URL for the signer; check what a person sees; return the URL."""
    url = client.sign_url(signature_id).sign_url
    assert urlsplit(url).hostname == "127.0.0.1"
    response = page.goto(url)
    assert response is not None and response.status == 200
    expect(page).to_have_title(TITLE)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("button", name="Sign", exact=True)).to_be_enabled()
    expect(page.get_by_role("button", name="Decline", exact=True)).to_be_enabled()
    # The document: an embedded PDF the browser opens in its viewer, and its text as a fallback.
    document_url = urljoin(page.url, page.locator("object.document").get_attribute("data"))
    document = page.request.get(document_url, timeout=WAIT * 1000)
    assert document.ok and document.body().startswith(b"%PDF")
    viewer = pdf_viewer(page)
    expect(viewer.locator("embed#plugin")).to_have_attribute("original-url", document_url)
    page.get_by_text("Document text").click()
    expect(page.locator("details pre")).to_contain_text("Mutual Non-Disclosure Agreement")
    return url


def test_signer_signs_in_the_browser(page: Page, client: Client, listener: Listener, tmp_path):
    sr = sent_request(client, listener)
    jack = sr.signatures[0].signature_id
    url = open_sign_page(page, client, jack)
    expect(page.get_by_text("Signing as Jack Doe")).to_be_visible()
    wait_for_pages(pdf_viewer(page), 2)
    page.screenshot(path=str(tmp_path / "sign-page.png"), full_page=True)

    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Signed")

    event = event_for(listener, "signature_request_signed", jack)
    assert event.payload["signature_request"]["signature_request_id"] == sr.signature_request_id
    assert status_of(client, sr, jack).status_code == "signed"
    assert status_of(client, sr, sr.signatures[1].signature_id).status_code == "awaiting_signature"

    # A sign URL opens once: the second visit gets the emulator's "already used" page (410).
    again = page.goto(url)
    assert again is not None and again.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This page cannot be shown")
    expect(page.get_by_text("has already been used")).to_be_visible()
    expect(page.get_by_role("button")).to_have_count(0)
    event_for(listener, "sign_url_invalid", jack)


def test_signer_declines_with_a_reason_in_the_browser(
    page: Page, client: Client, listener: Listener
):
    sr = sent_request(client, listener)
    jill = sr.signatures[1].signature_id
    open_sign_page(page, client, jill)
    expect(page.get_by_text("Signing as Jill Doe")).to_be_visible()

    reason = "The term in clause 3 is too long for us."
    page.get_by_label("Reason").fill(reason)
    page.get_by_role("button", name="Decline", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Declined")

    event = event_for(listener, "signature_request_declined", jill)
    assert event.event_message == reason
    signer = status_of(client, sr, jill)
    assert signer.status_code == "declined"
    assert signer.decline_reason == reason
    assert client.get(sr.signature_request_id).is_declined


def test_sign_page_offers_no_decline_unless_allowed(page: Page, client: Client, listener: Listener):
    sr = sent_request(client, listener, allow_decline=False)
    page.goto(client.sign_url(sr.signatures[0].signature_id).sign_url)
    expect(page.get_by_role("button", name="Sign", exact=True)).to_be_enabled()
    expect(page.get_by_role("button", name="Decline", exact=True)).to_have_count(0)
    expect(page.get_by_label("Reason")).to_have_count(0)


def test_enter_in_the_reason_field_does_not_sign(page: Page, client: Client, listener: Listener):
    sr = sent_request(client, listener)
    jill = sr.signatures[1].signature_id
    page.goto(client.sign_url(jill).sign_url)
    page.get_by_label("Reason").fill("I do not agree")
    page.get_by_label("Reason").press("Enter")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile("^(Signed|Declined)$"))
    assert heading.inner_text() == "Declined"
    assert status_of(client, sr, jill).status_code == "declined"
    declined = listener.wait_for("signature_request_declined", timeout=15)
    assert declined.event_message == "I do not agree"
