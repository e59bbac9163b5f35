"""Copies of the documents the emulator renders: each signature where its tag was, the audit
trail page, and the zip of copies, on real PDFs."""

from __future__ import annotations

import io
import zipfile

from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject

from hsnb.emulator.service.documents import load_document, page_texts, pdf_text
from hsnb.emulator.service.signed_copies import (
    AuditEntry,
    AuditTrail,
    SignatureMark,
    render_copy,
    render_zip,
)
from tests.emulator.pdfs import BOB, JANE, T0, audit, load, make_pdf, sample, text_origin

# --- signed copies ----------------------------------------------------------------------------


def test_copy_without_signatures_is_awaiting_signature() -> None:
    copy = render_copy([load("nda-two-signers.pdf")], [], audit())
    audit_text = page_texts(copy)[-1]
    assert "Status: awaiting_signature" in audit_text
    assert "completed" not in pdf_text(copy).lower()


def test_copy_with_all_signatures_is_completed() -> None:
    copy = render_copy([load("nda-two-signers.pdf")], [JANE, BOB], audit("completed"))
    assert "Status: completed" in page_texts(copy)[-1]


def test_signatures_appear_on_the_pages_of_their_tags() -> None:
    docs = [load("nda-two-signers.pdf"), load("multi-page.pdf")]
    pages = page_texts(render_copy(docs, [JANE, BOB], audit("completed")))
    assert "Jane Roe" in pages[0] and "Bob Smith" in pages[0]
    assert "JR" in pages[1] and "BS" in pages[1]  # initials on multi-page.pdf's page 1
    assert "Jane Roe" not in pages[2] and "Bob Smith" not in pages[2]
    assert "Jane Roe" in pages[3] and "Bob Smith" in pages[3]


def test_partly_signed_copy_shows_only_the_signatures_so_far() -> None:
    page = page_texts(render_copy([load("nda-two-signers.pdf")], [JANE], audit()))[0]
    assert "Jane Roe" in page and "signed 2025-11-28 15:00 UTC" in page
    assert "Bob Smith" not in page


def test_date_tag_shows_the_signing_date() -> None:
    doc = load_document(
        "t.pdf", make_pdf((100, 200, "Date: [date|req|signer1]")), use_text_tags=True
    )
    page = page_texts(render_copy([doc], [JANE], audit()))[0]
    assert "2025-11-28" in page


def test_signature_is_drawn_over_the_tag() -> None:
    doc = load("one-signer.pdf")
    tag = doc.tags[0]
    x, y = text_origin(render_copy([doc], [JANE], audit()), 0, "Jane Roe")
    assert tag.rect[0] <= x <= tag.rect[0] + tag.rect[2]
    assert tag.rect[1] <= y <= tag.rect[1] + 24  # the signature box grows up to 24 pt


def test_signature_lands_on_the_tag_when_the_page_box_is_offset() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(sample("one-signer.pdf")))
    writer.pages[0].mediabox = RectangleObject([-40, -30, 612, 792])
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = load_document("shifted.pdf", buffer.getvalue(), use_text_tags=True)
    tag = doc.tags[0]
    x, y = text_origin(render_copy([doc], [JANE], audit()), 0, "Jane Roe")
    assert tag.rect[0] <= x <= tag.rect[0] + tag.rect[2]
    assert tag.rect[1] <= y <= tag.rect[1] + 24


def test_copy_has_every_page_plus_one_audit_page() -> None:
    docs = [load("nda-two-signers.pdf"), load("multi-page.pdf"), load("letter.txt")]
    copy = render_copy(docs, [JANE], audit())
    assert len(PdfReader(io.BytesIO(copy)).pages) == 1 + 3 + 1 + 1


def test_audit_page_lists_request_documents_and_entries_in_utc() -> None:
    trail = AuditTrail(
        "NDA",
        "fa5c8a0b",
        "completed",
        (
            AuditEntry(T0, "sent", "me@example.com"),
            AuditEntry(T0 + 3600, "signed", "Jane Roe <jane@example.com>"),
        ),
    )
    text = page_texts(render_copy([load("one-signer.pdf")], [JANE], trail))[-1]
    for line in (
        "Title: NDA",
        "Signature request ID: fa5c8a0b",
        "Documents: one-signer.pdf",
        "2025-11-28 14:00:00 UTC sent me@example.com",
        "2025-11-28 15:00:00 UTC signed Jane Roe <jane@example.com>",
    ):
        assert line in text


def test_audit_trail_with_many_entries_stays_on_one_page() -> None:
    copy = render_copy([load("one-signer.pdf")], [], audit(entries=50))
    pages = page_texts(copy)
    assert len(pages) == 2
    assert "... and 15 more entries" in pages[-1]


def test_copy_is_deterministic() -> None:
    first = render_copy([load("nda-two-signers.pdf")], [JANE, BOB], audit("completed"))
    second = render_copy([load("nda-two-signers.pdf")], [JANE, BOB], audit("completed"))
    assert first == second


def test_names_outside_windows_1252_are_drawn_with_question_marks() -> None:
    mark = SignatureMark(1, "Zoë Łukasz", "zoe@example.com", T0)
    page = page_texts(render_copy([load("one-signer.pdf")], [mark], audit()))[0]
    assert "Zoë ?ukasz" in page


# --- zip of copies ----------------------------------------------------------------------------


def test_zip_has_one_signed_pdf_per_document_named_after_it() -> None:
    docs = [load("nda-two-signers.pdf"), load("letter.txt")]
    with zipfile.ZipFile(io.BytesIO(render_zip(docs, [JANE], audit()))) as archive:
        assert archive.namelist() == ["nda-two-signers.pdf", "letter.pdf"]
        nda, letter = (page_texts(archive.read(name)) for name in archive.namelist())
    assert len(nda) == 2 and len(letter) == 2
    assert "Jane Roe" in nda[0] and "Jane Roe" in letter[0]
    assert "Status: awaiting_signature" in nda[-1] and "Status: awaiting_signature" in letter[-1]


def test_zip_numbers_repeated_names() -> None:
    docs = [load("one-signer.pdf"), load("one-signer.pdf")]
    with zipfile.ZipFile(io.BytesIO(render_zip(docs, [], audit()))) as archive:
        assert archive.namelist() == ["one-signer.pdf", "one-signer (2).pdf"]


def test_zip_is_deterministic() -> None:
    docs = [load("nda-two-signers.pdf"), load("multi-page.pdf")]
    assert render_zip(docs, [JANE, BOB], audit()) == render_zip(docs, [JANE, BOB], audit())
