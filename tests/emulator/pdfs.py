"""PDFs and audit trails for the document tests: the samples, PDFs drawn or written by hand."""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from pypdf import PdfReader

from hsnb.emulator.service.documents import SourceDocument, load_document
from hsnb.emulator.service.signed_copies import AuditEntry, AuditTrail, SignatureMark

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "documents"
T0 = 1764338400  # 2025-11-28 14:00:00 UTC
JANE = SignatureMark(1, "Jane Roe", "jane@example.com", T0 + 3600)
BOB = SignatureMark(2, "Bob Smith", "bob@example.com", T0 + 7200)


def sample(name: str) -> bytes:
    """The bytes of a sample document from data/documents."""
    return (SAMPLES / name).read_bytes()


def load(name: str) -> SourceDocument:
    """A sample document read with its text tags."""
    return load_document(name, sample(name), use_text_tags=True)


def audit(status: str = "awaiting_signature", entries: int = 1) -> AuditTrail:
    """An audit trail of the NDA with ``entries`` rows."""
    rows = [AuditEntry(T0, "sent", "me@example.com")]
    rows += [AuditEntry(T0 + 60 * i, "viewed", f"viewer{i}@example.com") for i in range(1, entries)]
    return AuditTrail("NDA", "fa5c8a0b0f492d768749333ad6fcc214c111e967", status, tuple(rows))


def make_pdf(*lines: tuple[float, float, str], font: str = "Courier", size: float = 12) -> bytes:
    """A Letter PDF with each ``(x, baseline_from_top, text)`` drawn in one fpdf2 text call."""
    pdf = FPDF(unit="pt", format="letter")
    pdf.add_page()
    pdf.set_font(font, size=size)
    for x, y, text in lines:
        pdf.text(x, y, text)
    return bytes(pdf.output())


def raw_pdf(content: bytes, form: bytes) -> bytes:
    """A one-page PDF written by hand: page content, one form XObject /Fx, Courier as /F1."""
    resources = b"<< /Font << /F1 5 0 R >> /XObject << /Fx 6 0 R >> >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources "
        + resources
        + b" >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 300] /Resources %s /Length %d >>"
        b"\nstream\n%s\nendstream" % (resources, len(form), form),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def text_origin(pdf: bytes, page: int, needle: str) -> tuple[float, float]:
    """Where the text run containing ``needle`` starts on the page (PDF user space)."""
    found: list[tuple[float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if needle in text:
            found.append(
                (tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            )

    PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    assert found, f"{needle!r} not on page {page}"
    return found[0]
