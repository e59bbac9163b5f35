"""The emulator's documents: read uploads, find and check text tags, render signed copies.

An upload is a PDF (read with pypdf) or UTF-8 text (set in Courier with fpdf2). With
``use_text_tags`` its text tags are found (syntax and the rule for *malformed* tags:
:mod:`hsnb.emulator.service.text_tags`). A copy of the documents is one PDF: the original pages,
each signature so far drawn where its signer's ``sig`` / ``initial`` tags were (and the signing date
on their ``date`` tags), then one audit trail page. Same inputs, same bytes.

Example::

    doc = load_document("nda.pdf", data, use_text_tags=True)
    problems = check_tags([doc], signer_count=2)      # -> file_error when not empty
    trail = AuditTrail("NDA", "fa5c...", "awaiting_signature", (AuditEntry(t, "sent", "me@x.com"),))
    copy = render_copy([doc], [], trail)

Not implemented: values of ``text`` / ``check`` / merge fields (they stay as tags), hiding tags
(``hide_text_tags``), signatures placed without text tags (those appear only in the audit trail),
fonts beyond Latin (characters outside Windows-1252 are drawn as ``?``), and Dropbox Sign's own
audit trail layout.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import PurePosixPath
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter, Transformation

from hsnb.emulator.service.text_tags import (
    PDF_READ_ERRORS,
    TAG_KINDS,
    TagProblem,
    TextTag,
    find_tags,
    validate_tags,
)
from hsnb.errors import HsnbError

__all__ = [
    "TAG_KINDS",
    "AuditEntry",
    "AuditTrail",
    "DocumentError",
    "SignatureMark",
    "SourceDocument",
    "TagProblem",
    "TextTag",
    "check_tags",
    "load_document",
    "page_texts",
    "pdf_text",
    "render_copy",
    "render_zip",
]

#: Creation date of generated PDFs when nothing else fixes one (the earliest a zip can hold).
FIXED_DATE = datetime(1980, 1, 1, tzinfo=UTC)
_MARGIN = 54.0  # points: 3/4 inch
_TEXT_SIZE, _TEXT_LEADING, _TEXT_COLUMNS = 10.0, 12.0, 84  # Courier 10 on Letter: 6 pt a column
_TEXT_ROWS = int((792 - 2 * _MARGIN) // _TEXT_LEADING)
_INK = (20, 45, 140)
_AUDIT_ROWS = 36
_SIGNED_KINDS = ("sig", "initial", "date")  # the tags a signature fills in


class DocumentError(HsnbError, ValueError):
    """A document cannot be read or converted (the emulator then sends ``file_error``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SourceDocument:
    """An uploaded document as PDF, with its text tags (none unless ``use_text_tags``)."""

    name: str
    pdf: bytes
    page_count: int
    tags: tuple[TextTag, ...]
    malformed: tuple[TagProblem, ...]


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


def load_document(name: str, data: bytes, *, use_text_tags: bool = False) -> SourceDocument:
    """Read an upload: a PDF when ``data`` starts with ``%PDF``, else UTF-8 text set as a PDF.

    Text is set one line per line in 10 pt Courier on Letter pages, lines longer than 84
    characters wrapped (a tag cut by the wrap is malformed), a form feed starting a new page.
    Raises :class:`DocumentError` for empty, encrypted, corrupt or binary input.
    """
    if not data.strip():
        raise DocumentError(f"{name} is empty")
    pdf = data if data.startswith(b"%PDF") else _text_to_pdf(_decode_text(name, data))
    reader = _open_pdf(name, pdf)
    tags: list[TextTag] = []
    malformed: list[TagProblem] = []
    try:
        for index, page in enumerate(reader.pages):
            if use_text_tags:
                found, problems = find_tags(page, index, name)
                tags += found
                malformed += problems
            else:
                page.extract_text()  # reads every content stream, so a broken one fails here
    except PDF_READ_ERRORS as exc:
        raise DocumentError(f"{name} is not a readable PDF: {exc}") from exc
    return SourceDocument(name, pdf, len(reader.pages), tuple(tags), tuple(malformed))


def check_tags(documents: Sequence[SourceDocument], signer_count: int) -> list[TagProblem]:
    """Every malformed tag, and every tag naming a signer outside ``1..signer_count``.

    Ordered by document, then page, then reading order (top to bottom, left to right).
    """
    problems: list[TagProblem] = []
    for doc in documents:
        problems += validate_tags(doc.tags, doc.malformed, doc.name, signer_count)
    return problems


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


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page of a PDF (pypdf). Raises :class:`DocumentError` if unreadable."""
    reader = _open_pdf("this file", pdf)
    try:
        return [page.extract_text() for page in reader.pages]
    except PDF_READ_ERRORS as exc:
        raise DocumentError(f"this file is not a readable PDF: {exc}") from exc


def pdf_text(pdf: bytes) -> str:
    """All text of a PDF, pages separated by a newline. Raises :class:`DocumentError`."""
    return "\n".join(page_texts(pdf))


def _decode_text(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{name} is neither a PDF nor UTF-8 text (byte {exc.start} is not UTF-8)"
        ) from exc
    control = next((c for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f"), "")
    if control:
        raise DocumentError(
            f"{name} is neither a PDF nor text: it holds the control character U+{ord(control):04X}"
        )
    if not text.strip():
        raise DocumentError(f"{name} is empty")
    return text


def _open_pdf(name: str, pdf: bytes) -> PdfReader:
    try:
        reader = PdfReader(BytesIO(pdf))
        encrypted = reader.is_encrypted
        page_count = 0 if encrypted else len(reader.pages)
    except PDF_READ_ERRORS as exc:
        raise DocumentError(f"{name} is not a readable PDF: {exc}") from exc
    if encrypted:
        raise DocumentError(f"{name} is encrypted; upload it without a password")
    if page_count == 0:
        raise DocumentError(f"{name} has no pages")
    return reader


def _new_fpdf(created: datetime) -> FPDF:
    pdf = FPDF(unit="pt", format="letter")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_creation_date(created)
    pdf.set_auto_page_break(False)
    return pdf


def _latin(text: str) -> str:
    """Text the core fonts can draw: characters outside Windows-1252 become ``?``."""
    return text.encode("cp1252", "replace").decode("cp1252")


def _text_to_pdf(text: str) -> bytes:
    pdf = _new_fpdf(FIXED_DATE)
    pdf.set_font("Courier", size=_TEXT_SIZE)
    for page_text in text.replace("\r\n", "\n").replace("\r", "\n").rstrip().split("\f"):
        lines = [
            line[start : start + _TEXT_COLUMNS]
            for line in page_text.expandtabs(8).split("\n")
            for start in range(0, max(len(line), 1), _TEXT_COLUMNS)
        ]
        for first in range(0, len(lines), _TEXT_ROWS):
            pdf.add_page()
            for row, line in enumerate(lines[first : first + _TEXT_ROWS]):
                if line.strip():
                    baseline = _MARGIN + _TEXT_SIZE + row * _TEXT_LEADING
                    pdf.text(_MARGIN, baseline, _latin(line))
    return bytes(pdf.output())


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
    overlay = _new_fpdf(created)
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
    text = _latin(text)
    pdf.set_font(font[0], font[1], 10)
    natural = pdf.get_string_width(text) or 1.0
    pdf.set_font(font[0], font[1], max(min(size, 10 * width / natural), 1.0))
    pdf.text(x, baseline, text)


def _audit_page(audit: AuditTrail, names: Sequence[str], created: datetime) -> bytes:
    """One Letter page: title, request id, documents, status and the entries in UTC."""
    pdf = _new_fpdf(created)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.text(_MARGIN, 80, "Audit trail")
    facts = [
        ("Title", audit.title),
        ("Signature request ID", audit.signature_request_id),
        ("Documents", ", ".join(names)),
        ("Status", audit.status),
    ]
    baseline = 112.0
    for label, value in facts:
        pdf.set_font("Helvetica", "B", 10)
        pdf.text(_MARGIN, baseline, f"{label}:")
        pdf.set_font("Helvetica", "", 10)
        pdf.text(_MARGIN + 130, baseline, _clip(pdf, value, pdf.w - 2 * _MARGIN - 130))
        baseline += 16
    baseline += 16
    pdf.set_font("Helvetica", "B", 10)
    for column, heading in ((0, "Time (UTC)"), (140, "Action"), (250, "Actor")):
        pdf.text(_MARGIN + column, baseline, heading)
    pdf.set_font("Helvetica", "", 10)
    entries = list(audit.entries)
    shown = entries if len(entries) <= _AUDIT_ROWS else entries[: _AUDIT_ROWS - 1]
    for entry in shown:
        baseline += 15
        pdf.text(_MARGIN, baseline, _utc(entry.time))
        pdf.text(_MARGIN + 140, baseline, _clip(pdf, entry.action, 105))
        pdf.text(_MARGIN + 250, baseline, _clip(pdf, entry.actor, pdf.w - 2 * _MARGIN - 250))
    if len(shown) < len(entries):
        pdf.text(_MARGIN, baseline + 15, f"... and {len(entries) - len(shown)} more entries")
    return bytes(pdf.output())


def _clip(pdf: FPDF, text: str, width: float) -> str:
    """``text`` in the current font, shortened with an ellipsis to fit ``width`` points."""
    text = _latin(text)
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
