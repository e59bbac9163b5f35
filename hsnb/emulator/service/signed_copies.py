"""Signed copies of a request's documents, as the emulator serves them from ``/files``.

A copy of the documents is one PDF: the original pages, each signature so far drawn where its
signer's ``sig`` / ``initial`` tags were (and the signing date on their ``date`` tags), then one
audit trail page; or a zip of one such PDF per document. Same inputs, same bytes.

Example::

    doc = load_document("nda.pdf", data, use_text_tags=True)       # hsnb.emulator.service.documents
    trail = AuditTrail("NDA", "fa5c...", "awaiting_signature", (AuditEntry(t, "sent", "me@x.com"),))
    copy = render_copy([doc], [], trail)

Not implemented: values of ``text`` / ``check`` / merge fields (they stay as tags), hiding tags
(``hide_text_tags``), signatures placed without text tags (those appear only in the audit trail),
fonts beyond Latin (drawn as ``?``), and Dropbox Sign's own audit trail layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import PurePosixPath
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter, Transformation

from hsnb.emulator.service.documents import (
    FIXED_DATE,
    MARGIN,
    SourceDocument,
    latin_text,
    new_fpdf,
)
from hsnb.emulator.service.text_tags import TextTag

__all__ = ["AuditEntry", "AuditTrail", "SignatureMark", "render_copy", "render_zip"]

_INK = (20, 45, 140)
_AUDIT_ROWS = 36
_SIGNED_KINDS = ("sig", "initial", "date")  # the tags a signature fills in


@dataclass(frozen=True)
class SignatureMark:
    """One signer's signature: ``signer`` is N of ``signerN``; ``signed_at`` in epoch seconds."""

    signer: int
    name: str
    email_address: str
    signed_at: int


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit trail, e.g. ``AuditEntry(t, "signed", "Jane <jane@example.com>")``."""

    time: int
    action: str
    actor: str


@dataclass(frozen=True)
class AuditTrail:
    """The audit trail page; ``status`` is awaiting_signature, completed, declined or canceled."""

    title: str
    signature_request_id: str
    status: str
    entries: tuple[AuditEntry, ...]


def render_copy(
    documents: Sequence[SourceDocument], marks: Sequence[SignatureMark], audit: AuditTrail
) -> bytes:
    """One PDF: every page of every document, signatures drawn, then one audit trail page.

    Each mark is drawn on every ``sig`` / ``initial`` / ``date`` tag of its signer (name,
    initials, or the signing date), over a white box that hides the tag text. The PDF's
    creation date is the audit trail's first entry time, so equal inputs give equal bytes.
    """
    created = _creation_date(audit)
    writer = PdfWriter()
    for doc in documents:
        _append_signed(writer, doc, marks, created)
    _append_pdf(writer, _audit_page(audit, [doc.name for doc in documents], created))
    return _write(writer, audit, created)


def render_zip(
    documents: Sequence[SourceDocument], marks: Sequence[SignatureMark], audit: AuditTrail
) -> bytes:
    """A zip with one PDF per document (as :func:`render_copy`, audit page on each).

    Entries are named after the documents with a ``.pdf`` suffix (``letter.txt`` ->
    ``letter.pdf``); a repeated name gets `` (2)``, `` (3)``... before the suffix.
    """
    created = _creation_date(audit)
    audit_page = _audit_page(audit, [doc.name for doc in documents], created)
    buffer = BytesIO()
    with ZipFile(buffer, "w") as archive:
        for doc, entry_name in zip(documents, _pdf_names(documents), strict=True):
            writer = PdfWriter()
            _append_signed(writer, doc, marks, created)
            _append_pdf(writer, audit_page)
            info = ZipInfo(entry_name, date_time=created.timetuple()[:6])
            info.compress_type = ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, _write(writer, audit, created))
    return buffer.getvalue()


def _creation_date(audit: AuditTrail) -> datetime:
    first = min((entry.time for entry in audit.entries), default=0)
    return max(datetime.fromtimestamp(first, UTC), FIXED_DATE)


def _utc(epoch: int, fmt: str = "%Y-%m-%d %H:%M:%S UTC") -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime(fmt)


def _append_pdf(writer: PdfWriter, pdf: bytes) -> None:
    for page in PdfReader(BytesIO(pdf)).pages:
        writer.add_page(page)


def _append_signed(
    writer: PdfWriter, doc: SourceDocument, marks: Sequence[SignatureMark], created: datetime
) -> None:
    """Add the document's pages to ``writer``, each signed tag covered by its signature."""
    reader = PdfReader(BytesIO(doc.pdf))
    signed = [
        (tag, mark)
        for tag in doc.tags
        for mark in marks
        if tag.signer == mark.signer and tag.kind in _SIGNED_KINDS
    ]
    stamped = sorted({tag.page for tag, _ in signed})
    overlay = new_fpdf(created)
    for index in stamped:
        box = reader.pages[index].mediabox
        overlay.add_page(format=(float(box.width), float(box.height)))
        for tag, mark in signed:
            if tag.page == index:
                _draw_mark(overlay, tag, mark, float(box.left), float(box.bottom))
    overlay_pages = PdfReader(BytesIO(bytes(overlay.output()))).pages if stamped else []
    for index, page in enumerate(reader.pages):
        added = writer.add_page(page)
        if index in stamped:
            box = added.mediabox
            shift = Transformation().translate(float(box.left), float(box.bottom))
            added.merge_transformed_page(overlay_pages[stamped.index(index)], shift)


def _draw_mark(pdf: FPDF, tag: TextTag, mark: SignatureMark, left: float, bottom: float) -> None:
    """Draw one signature (or initials, or date) on the overlay page over the tag's rect."""
    x, y, width, height = tag.rect[0] - left, tag.rect[1] - bottom, tag.rect[2], tag.rect[3]
    top = pdf.h - (y + height)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, top, width, height, style="F")
    pdf.set_text_color(*_INK)
    if tag.kind == "date":
        date = _utc(mark.signed_at, "%Y-%m-%d")
        _fit_text(pdf, date, ("Helvetica", ""), x, top + height * 0.78, width, height * 0.7)
        return
    # The signature gets room to be read: at least 24 x 110 points, growing up and right.
    box_w, box_h = max(width, 110.0), max(height, 24.0)
    box_x, box_top = max(min(x, pdf.w - box_w), 0.0), max(top + height - box_h, 0.0)
    name = mark.name or mark.email_address
    if tag.kind == "initial":
        name = "".join(part[0] for part in name.split()).upper()[:3] or "?"
    _fit_text(pdf, name, ("Times", "I"), box_x, box_top + box_h * 0.6, box_w, box_h * 0.55)
    signed = f"signed {_utc(mark.signed_at, '%Y-%m-%d %H:%M UTC')}"
    _fit_text(pdf, signed, ("Helvetica", ""), box_x, box_top + box_h * 0.92, box_w, box_h * 0.25)


def _fit_text(
    pdf: FPDF,
    text: str,
    font: tuple[str, str],
    x: float,
    baseline: float,
    width: float,
    size: float,
) -> None:
    """Draw ``text`` at most ``size`` points high, shrunk to fit ``width``."""
    text = latin_text(text)
    pdf.set_font(font[0], font[1], 10)
    natural = pdf.get_string_width(text) or 1.0
    pdf.set_font(font[0], font[1], max(min(size, 10 * width / natural), 1.0))
    pdf.text(x, baseline, text)


def _audit_page(audit: AuditTrail, names: Sequence[str], created: datetime) -> bytes:
    """One Letter page: title, request id, documents, status and the entries in UTC."""
    pdf = new_fpdf(created)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.text(MARGIN, 80, "Audit trail")
    facts = [
        ("Title", audit.title),
        ("Signature request ID", audit.signature_request_id),
        ("Documents", ", ".join(names)),
        ("Status", audit.status),
    ]
    baseline = 112.0
    for label, value in facts:
        pdf.set_font("Helvetica", "B", 10)
        pdf.text(MARGIN, baseline, f"{label}:")
        pdf.set_font("Helvetica", "", 10)
        pdf.text(MARGIN + 130, baseline, _clip(pdf, value, pdf.w - 2 * MARGIN - 130))
        baseline += 16
    baseline += 16
    pdf.set_font("Helvetica", "B", 10)
    for column, heading in ((0, "Time (UTC)"), (140, "Action"), (250, "Actor")):
        pdf.text(MARGIN + column, baseline, heading)
    pdf.set_font("Helvetica", "", 10)
    entries = list(audit.entries)
    shown = entries if len(entries) <= _AUDIT_ROWS else entries[: _AUDIT_ROWS - 1]
    for entry in shown:
        baseline += 15
        pdf.text(MARGIN, baseline, _utc(entry.time))
        pdf.text(MARGIN + 140, baseline, _clip(pdf, entry.action, 105))
        pdf.text(MARGIN + 250, baseline, _clip(pdf, entry.actor, pdf.w - 2 * MARGIN - 250))
    if len(shown) < len(entries):
        pdf.text(MARGIN, baseline + 15, f"... and {len(entries) - len(shown)} more entries")
    return bytes(pdf.output())


def _clip(pdf: FPDF, text: str, width: float) -> str:
    """``text`` in the current font, shortened with an ellipsis to fit ``width`` points."""
    text = latin_text(text)
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "...") > width:
        text = text[:-1]
    return text + "..."


def _pdf_names(documents: Sequence[SourceDocument]) -> list[str]:
    names: list[str] = []
    for doc in documents:
        stem = PurePosixPath(doc.name.replace("\\", "/")).stem or "document"
        name, count = f"{stem}.pdf", 1
        while name in names:
            count += 1
            name = f"{stem} ({count}).pdf"
        names.append(name)
    return names


def _write(writer: PdfWriter, audit: AuditTrail, created: datetime) -> bytes:
    stamp = created.strftime("D:%Y%m%d%H%M%SZ")
    writer.add_metadata(
        {"/Title": audit.title, "/Producer": "hsnb emulator", "/CreationDate": stamp}
    )
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
