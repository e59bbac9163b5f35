"""Regenerate the sample documents in this folder (deterministic: same fpdf2, same bytes).

Run from anywhere: ``python data/documents/make_samples.py``. README.md says what each file is for.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

HERE = Path(__file__).resolve().parent
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
LEFT = 72.0  # one inch
WIDTH = 612.0 - 2 * LEFT


class Sample(FPDF):
    """A Letter document in points with a fixed creation date and a simple flowing layout."""

    def __init__(self, title: str) -> None:
        super().__init__(unit="pt", format="letter")
        self.set_creation_date(CREATED)
        self.set_title(title)
        self.set_author("hsnb samples")
        self.set_margins(LEFT, 72)
        self.set_auto_page_break(True, margin=72)
        self.add_page()
        self.set_font("Helvetica", "B", 16)
        self.multi_cell(WIDTH, 22, title, new_x="LMARGIN", new_y="NEXT")
        self.ln(8)

    def para(self, text: str, *, bold: bool = False) -> None:
        self.set_font("Helvetica", "B" if bold else "", 10.5)
        self.multi_cell(WIDTH, 14, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(6)

    def field(self, label: str, tag: str, x: float | None = None) -> None:
        """A labelled signature line with the tag on it; room above for the signature."""
        x = LEFT if x is None else x
        self.ln(22)
        y = self.get_y() + 12
        self.set_font("Helvetica", "", 10)
        self.text(x, y, f"{label}:")
        indent = max(62.0, self.get_string_width(f"{label}:") + 8)
        self.text(x + indent, y, tag)
        self.set_draw_color(120, 120, 120)
        self.line(x + indent - 2, y + 4, x + indent + 240, y + 4)
        self.set_y(y + 8)

    def save(self, name: str) -> None:
        self.output(str(HERE / name))


def nda() -> None:
    doc = Sample("Mutual Non-Disclosure Agreement")
    doc.para(
        "This Agreement is made between Acme Widgets Ltd., 1 Harbour Road, Bristol (the "
        '"Disclosing Party") and the person signing below as Receiving Party (the "Receiving '
        'Party"), effective on the date of the last signature.'
    )
    clauses = [
        "1. Confidential Information. Any business, technical or financial information disclosed "
        "by the Disclosing Party, in any form, including the items listed in [Schedule A].",
        "2. Obligations. The Receiving Party shall use the Confidential Information only to "
        "evaluate a possible business relationship, protect it with reasonable care, and not "
        "disclose it to any third party without prior written consent.",
        "3. Exclusions. Information that is public, already known to the Receiving Party, or "
        "independently developed is not Confidential Information [1].",
        "4. Term. These obligations last three (3) years from the effective date.",
        "5. Return of materials. On request, the Receiving Party shall return or destroy all "
        "Confidential Information and confirm so in writing.",
        "6. Governing law. This Agreement is governed by the laws of England and Wales.",
    ]
    for clause in clauses:
        doc.para(clause)
    doc.para("[1] Footnote: the burden of proof lies with the Receiving Party.")
    doc.para("Disclosing Party: Acme Widgets Ltd.", bold=True)
    doc.field("Signature", "[sig|req|signer1|Disclosing party|sig1]")
    doc.field("Date", "[date|req|signer1]")
    doc.ln(6)
    doc.para("Receiving Party", bold=True)
    doc.field("Signature", "[sig|req|signer2|Receiving party|sig2]")
    doc.field("Title", "[text|noreq|signer2|Title|title2]")
    doc.save("nda-two-signers.pdf")


def one_signer() -> None:
    doc = Sample("Photo Release Consent")
    doc.para(
        "I consent to Acme Widgets Ltd. using photographs taken of me at the Spring Open Day in "
        "its newsletter and on its website. I may withdraw this consent at any time by writing "
        "to privacy@example.com."
    )
    doc.field("Signature", "[sig|req|signer1|Participant|sig1]")
    doc.field("Date", "[date|req|signer1]")
    doc.save("one-signer.pdf")


def malformed_tag() -> None:
    doc = Sample("Equipment Loan (broken tags)")
    doc.para(
        "This document has two malformed text tags: the signature tag below is not closed, and "
        "the initials tag names 'signerX', which is not a signer. Its requirement 'maybe' is "
        "accepted (read as req). Ordinary brackets such as [1] or [see appendix] are plain text."
    )
    doc.field("Signature", "[sig|req|signer1")
    doc.field("Initials", "[initial|maybe|signerX]")
    doc.field("Date", "[date|req|signer1]")
    doc.save("malformed-tag.pdf")


def signer_mismatch() -> None:
    doc = Sample("Three-Party Letter of Intent")
    doc.para(
        "The parties intend to negotiate a supply agreement. This letter has signature tags for "
        "three signers; sent with only two signers, the third tag does not match any signer."
    )
    for n, party in enumerate(("Buyer", "Seller", "Witness"), start=1):
        doc.field(party, f"[sig|req|signer{n}|{party}|sig{n}]")
    doc.save("signer-mismatch.pdf")


def multi_page() -> None:
    doc = Sample("Service Agreement")
    doc.para("Page 1 of 3. Both parties initial this page.")
    doc.para("1. Services. The Provider shall deliver the services described in Schedule 1.")
    doc.field("Client initials", "[initial|req|signer1|Client initials|init1]")
    doc.field("Provider initials", "[initial|req|signer2|Provider initials|init2]")
    doc.add_page()
    doc.para("Page 2 of 3.")
    doc.para("2. Fees. Fees are payable within thirty days of invoice. 3. Term. One year.")
    doc.add_page()
    doc.para("Page 3 of 3. Signatures.")
    doc.field("Client", "[sig|req|signer1|Client|sig1]")
    doc.field("Provider", "[sig|req|signer2|Provider|sig2]")
    doc.field("Date", "[date|req|signer2]")
    doc.save("multi-page.pdf")


def no_tags() -> None:
    doc = Sample("Meeting Notes")
    doc.para(
        "Notes of the project meeting. Attendees agreed the timeline [see appendix] and the "
        "budget [2]. There are no text tags in this document: signers place their fields in the "
        "signing page, or the request is sent without text tags."
    )
    doc.save("no-tags.pdf")


LETTER = """\
Acme Widgets Ltd.
1 Harbour Road, Bristol

28 November 2026

Dear Ms Roe,

Thank you for agreeing to review our new widget catalogue [draft 3].
Please confirm the terms below by signing this letter.

  - The review takes place between 1 and 12 December 2026.
  - Your fee is GBP 450, paid within 30 days of invoice.
  - You keep the catalogue confidential until its launch.

Yours sincerely,
Sam Carter, Acme Widgets Ltd.


Agreed and accepted:

Signature: [sig|req|signer1|Reviewer|letter_sig]
"""


def letter() -> None:
    (HERE / "letter.txt").write_text(LETTER, encoding="utf-8")


def not_a_pdf() -> None:
    (HERE / "not-a-pdf.bin").write_bytes(b"\x89GARBAGE\x00" + random.Random(7).randbytes(500))


if __name__ == "__main__":
    for make in (
        nda,
        one_signer,
        malformed_tag,
        signer_mismatch,
        multi_page,
        no_tags,
        letter,
        not_a_pdf,
    ):
        make()
