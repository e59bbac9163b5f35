"""The emulator's documents: read uploads, find and check their text tags.

An upload is a PDF (read with pypdf) or UTF-8 text (set in Courier with fpdf2). With
``use_text_tags`` its text tags are found (syntax and the rule for *malformed* tags:
:mod:`hsnb.emulator.service.text_tags`). Copies with signatures drawn are made by
:mod:`hsnb.emulator.service.signed_copies`.

Example::

    doc = load_document("nda.pdf", data, use_text_tags=True)
    problems = check_tags([doc], signer_count=2)      # -> file_error when not empty

Not implemented: fonts beyond Latin (characters outside Windows-1252 are drawn as ``?``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO

from fpdf import FPDF
from pypdf import PdfReader

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
    "DocumentError",
    "SourceDocument",
    "TagProblem",
    "TextTag",
    "check_tags",
    "load_document",
    "page_texts",
    "pdf_text",
]

#: Creation date of generated PDFs when nothing else fixes one (the earliest a zip can hold).
FIXED_DATE = datetime(1980, 1, 1, tzinfo=UTC)
#: The page margin of generated pages, in points (3/4 inch).
MARGIN = 54.0
_TEXT_SIZE, _TEXT_LEADING, _TEXT_COLUMNS = 10.0, 12.0, 84  # Courier 10 on Letter: 6 pt a column
_TEXT_ROWS = int((792 - 2 * MARGIN) // _TEXT_LEADING)


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


def new_fpdf(created: datetime) -> FPDF:
    """An empty Letter-size fpdf2 document in points, Windows-1252 core fonts, dated ``created``."""
    pdf = FPDF(unit="pt", format="letter")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_creation_date(created)
    pdf.set_auto_page_break(False)
    return pdf


def latin_text(text: str) -> str:
    """Text the core fonts can draw: characters outside Windows-1252 become ``?``."""
    return text.encode("cp1252", "replace").decode("cp1252")


def _text_to_pdf(text: str) -> bytes:
    pdf = new_fpdf(FIXED_DATE)
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
                    baseline = MARGIN + _TEXT_SIZE + row * _TEXT_LEADING
                    pdf.text(MARGIN, baseline, latin_text(line))
    return bytes(pdf.output())
