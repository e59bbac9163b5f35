"""The emulator's documents: reading uploads, text tags, signed copies, on real PDFs."""

from __future__ import annotations

import io

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from hsnb.emulator.service.documents import (
    DocumentError,
    check_tags,
    load_document,
    page_texts,
    pdf_text,
)
from hsnb.emulator.service.text_tags import parse_tag
from hsnb.errors import HsnbError
from tests.emulator.pdfs import load, make_pdf, raw_pdf, sample

# --- text tags found in the samples -----------------------------------------------------------


def test_nda_tags_have_kinds_signers_labels_and_ids() -> None:
    tags = load("nda-two-signers.pdf").tags
    assert [(t.kind, t.required, t.signer, t.label, t.api_id, t.page) for t in tags] == [
        ("sig", True, 1, "Disclosing party", "sig1", 0),
        ("date", True, 1, None, None, 0),
        ("sig", True, 2, "Receiving party", "sig2", 0),
        ("text", False, 2, "Title", "title2", 0),
    ]
    assert tags[0].raw == "[sig|req|signer1|Disclosing party|sig1]"


def test_nda_tag_rects_lie_inside_the_page_box() -> None:
    doc = load("nda-two-signers.pdf")
    box = PdfReader(io.BytesIO(doc.pdf)).pages[0].mediabox
    for tag in doc.tags:
        x, y, width, height = tag.rect
        assert float(box.left) <= x and x + width <= float(box.right)
        assert float(box.bottom) <= y and y + height <= float(box.top)
        assert width > height > 0


def test_one_signer_sample_has_a_signature_and_a_date_for_signer1() -> None:
    tags = load("one-signer.pdf").tags
    assert [(t.kind, t.signer) for t in tags] == [("sig", 1), ("date", 1)]


def test_multi_page_sample_has_tags_on_pages_one_and_three_only() -> None:
    doc = load("multi-page.pdf")
    assert doc.page_count == 3
    assert [(t.kind, t.signer, t.page) for t in doc.tags] == [
        ("initial", 1, 0),
        ("initial", 2, 0),
        ("sig", 1, 2),
        ("sig", 2, 2),
        ("date", 2, 2),
    ]


def test_signer_mismatch_sample_names_three_signers() -> None:
    doc = load("signer-mismatch.pdf")
    assert [t.signer for t in doc.tags] == [1, 2, 3]
    assert doc.malformed == ()


def test_no_tags_sample_has_neither_tags_nor_problems() -> None:
    doc = load("no-tags.pdf")
    assert (doc.tags, doc.malformed) == ((), ())


def test_tags_are_not_looked_for_without_use_text_tags() -> None:
    doc = load_document("malformed-tag.pdf", sample("malformed-tag.pdf"))
    assert (doc.tags, doc.malformed, doc.page_count) == ((), (), 1)


def test_tag_rect_matches_the_tag_glyphs() -> None:
    # Courier is 0.6 em a glyph: at 12 pt "[sig|req|signer1]" is 17 x 7.2 = 122.4 points wide.
    pdf = make_pdf((100, 200, "[sig|req|signer1]"))
    (tag,) = load_document("t.pdf", pdf, use_text_tags=True).tags
    x, y, width, height = tag.rect
    assert x == pytest.approx(100, abs=0.5)
    assert width == pytest.approx(122.4, abs=0.5)
    assert y == pytest.approx(792 - 200 - 0.25 * 12, abs=0.5)
    assert height == pytest.approx(1.15 * 12, abs=0.5)


def test_tag_rect_inside_a_line_starts_at_the_bracket() -> None:
    pdf = make_pdf((100, 200, "Sign: [sig|req|signer1] please"))
    (tag,) = load_document("t.pdf", pdf, use_text_tags=True).tags
    assert tag.rect[0] == pytest.approx(100 + 6 * 7.2, abs=0.5)
    assert tag.rect[2] == pytest.approx(122.4, abs=0.5)


def test_tag_rect_after_a_label_run_on_the_same_line_starts_at_the_bracket() -> None:
    pdf = make_pdf((100, 200, "Signature:"), (200, 200, "[sig|req|signer1]"))
    (tag,) = load_document("t.pdf", pdf, use_text_tags=True).tags
    assert tag.rect[0] == pytest.approx(200, abs=0.5)
    assert tag.rect[2] == pytest.approx(122.4, abs=0.5)


def test_tag_rect_in_a_proportional_font_uses_its_glyph_widths() -> None:
    pdf = make_pdf((100, 200, "WWWW [sig|req|signer1]"), font="Helvetica", size=10)
    (tag,) = load_document("t.pdf", pdf, use_text_tags=True).tags
    pdf_fpdf = FPDF(unit="pt")
    pdf_fpdf.set_font("Helvetica", size=10)
    assert tag.rect[0] == pytest.approx(100 + pdf_fpdf.get_string_width("WWWW "), abs=0.5)
    assert tag.rect[2] == pytest.approx(pdf_fpdf.get_string_width("[sig|req|signer1]"), abs=0.5)


def test_tag_rect_inside_a_form_xobject_is_placed_by_the_ctm() -> None:
    form = b"BT /F1 12 Tf 10 20 Td ([sig|req|signer1]) Tj ET"
    pdf = raw_pdf(
        b"q 1 0 0 1 100 300 cm /Fx Do Q BT /F1 12 Tf 50 50 Td ([date|req|signer1]) Tj ET", form
    )
    sig, date = load_document("form.pdf", pdf, use_text_tags=True).tags
    assert sig.rect[:2] == pytest.approx((110, 320 - 0.25 * 12), abs=0.5)
    assert date.rect[:2] == pytest.approx((50, 50 - 0.25 * 12), abs=0.5)


# --- malformed tags ---------------------------------------------------------------------------


def test_malformed_sample_reports_the_unclosed_tag() -> None:
    problem = load("malformed-tag.pdf").malformed[0]
    assert (problem.kind, problem.raw, problem.page) == ("malformed", "[sig|req|signer1", 0)
    assert problem.message == (
        "text tag [sig|req|signer1 is not closed with ']' (malformed-tag.pdf, page 1)"
    )


def test_malformed_sample_reports_the_bad_signer_token() -> None:
    problem = load("malformed-tag.pdf").malformed[1]
    assert problem.message == (
        "text tag [initial|maybe|signerX] has signer 'signerX'; expected signer1, signer2, ... "
        "(malformed-tag.pdf, page 1)"
    )


def test_malformed_sample_keeps_its_valid_tag() -> None:
    doc = load("malformed-tag.pdf")
    assert len(doc.malformed) == 2
    assert [(t.kind, t.signer) for t in doc.tags] == [("date", 1)]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[sig|req]", "text tag [sig|req] has 2 parts; expected type|req-or-noreq|signerN"),
        ("[sig|req|signer1|a|b|c]", "has 6 parts"),
        ("[sig|r3q|signer1]", "has requirement 'r3q'; expected req or noreq"),
        ("[sig||signer1]", "has requirement ''"),
        ("[sig| req|signer1]", "has requirement ' req'"),
        ("[sig|req|signer0]", "has signer 'signer0'"),
        ("[sig|req|Signer1]", "has signer 'Signer1'"),
        ("[sig|req|signer]", "has signer 'signer'"),
        ("[sig|req|signer1", "is not closed with ']'"),
    ],
)
def test_parse_tag_names_what_is_malformed(raw: str, message: str) -> None:
    result = parse_tag(raw)
    assert isinstance(result, str)
    assert message in result


def test_unknown_alphabetic_requirement_counts_as_req() -> None:
    parsed = parse_tag("[sig|maybe|signer12]")
    assert not isinstance(parsed, str)
    assert (parsed.required, parsed.signer, parsed.label, parsed.api_id) == (True, 12, None, None)


def test_noreq_and_empty_optional_parts() -> None:
    parsed = parse_tag("[checkbox-merge|noreq|signer2||]")
    assert not isinstance(parsed, str)
    assert (parsed.kind, parsed.required, parsed.label, parsed.api_id) == (
        "checkbox-merge",
        False,
        None,
        None,
    )


def test_ordinary_brackets_are_not_tags() -> None:
    text = "See [1], [see appendix], [SIG|req|signer1], [sig], [signature|x] and [date]."
    doc = load_document("t.pdf", make_pdf((72, 100, text), size=9), use_text_tags=True)
    assert (doc.tags, doc.malformed) == ((), ())


def test_tag_broken_across_lines_is_malformed() -> None:
    doc = load_document("t.txt", b"Sign: [sig|req|\nsigner1]\n", use_text_tags=True)
    assert doc.tags == ()
    assert [p.raw for p in doc.malformed] == ["[sig|req|"]


# --- check_tags -------------------------------------------------------------------------------


def test_check_tags_reports_a_signer_the_request_does_not_have() -> None:
    (problem,) = check_tags([load("signer-mismatch.pdf")], signer_count=2)
    assert (problem.kind, problem.page, problem.raw) == (
        "signer_mismatch",
        0,
        "[sig|req|signer3|Witness|sig3]",
    )
    assert problem.message == (
        "text tag [sig|req|signer3|Witness|sig3] names signer3 but the request has 2 signers "
        "(signer-mismatch.pdf, page 1)"
    )


def test_check_tags_says_one_signer_in_the_singular() -> None:
    problems = check_tags([load("nda-two-signers.pdf")], signer_count=1)
    assert [p.raw for p in problems] == [
        "[sig|req|signer2|Receiving party|sig2]",
        "[text|noreq|signer2|Title|title2]",
    ]
    assert "names signer2 but the request has 1 signer (" in problems[0].message


def test_check_tags_accepts_tags_for_the_signers_passed() -> None:
    docs = [load("nda-two-signers.pdf"), load("multi-page.pdf"), load("no-tags.pdf")]
    assert check_tags(docs, signer_count=2) == []


def test_check_tags_lists_every_problem_in_document_order() -> None:
    docs = [load("signer-mismatch.pdf"), load("malformed-tag.pdf")]
    problems = check_tags(docs, signer_count=2)
    assert [(p.document, p.kind, p.raw) for p in problems] == [
        ("signer-mismatch.pdf", "signer_mismatch", "[sig|req|signer3|Witness|sig3]"),
        ("malformed-tag.pdf", "malformed", "[sig|req|signer1"),
        ("malformed-tag.pdf", "malformed", "[initial|maybe|signerX]"),
    ]


# --- text uploads -----------------------------------------------------------------------------


def test_text_file_is_converted_to_a_pdf() -> None:
    doc = load("letter.txt")
    assert doc.pdf.startswith(b"%PDF") and doc.page_count == 1
    assert "Dear Ms Roe," in pdf_text(doc.pdf)


def test_text_file_tag_is_found_at_its_column() -> None:
    (tag,) = load("letter.txt").tags
    assert (tag.kind, tag.signer, tag.label, tag.api_id) == ("sig", 1, "Reviewer", "letter_sig")
    # Courier 10 pt is 6 points a column; the tag starts in column 11 after a 54 pt margin.
    assert tag.rect[0] == pytest.approx(54 + 11 * 6, abs=0.5)
    assert tag.rect[2] == pytest.approx(len(tag.raw) * 6, abs=0.5)


def test_long_text_breaks_into_pages() -> None:
    data = "\n".join(f"line {n}" for n in range(130)).encode()
    doc = load_document("long.txt", data)
    assert doc.page_count == 3
    assert "line 129" in page_texts(doc.pdf)[2]


def test_form_feed_starts_a_new_page() -> None:
    doc = load_document("two.txt", b"first page\fsecond page")
    assert [text.strip() for text in page_texts(doc.pdf)] == ["first page", "second page"]


def test_long_text_line_wraps_at_84_columns() -> None:
    doc = load_document("wide.txt", ("x" * 84 + "y" * 10).encode())
    assert page_texts(doc.pdf)[0].split() == ["x" * 84, "y" * 10]


def test_text_outside_windows_1252_is_drawn_as_question_marks() -> None:
    doc = load_document("u.txt", "Zoë 李".encode())
    assert pdf_text(doc.pdf).strip() == "Zoë ?"


# --- unreadable uploads -----------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b" \n\t "])
def test_empty_upload_is_refused(data: bytes) -> None:
    with pytest.raises(DocumentError, match=r"^empty\.pdf is empty$"):
        load_document("empty.pdf", data)


def test_binary_upload_is_refused() -> None:
    with pytest.raises(DocumentError) as caught:
        load_document("not-a-pdf.bin", sample("not-a-pdf.bin"))
    assert (
        caught.value.reason == "not-a-pdf.bin is neither a PDF nor UTF-8 text (byte 0 is not UTF-8)"
    )


def test_text_with_control_characters_is_refused() -> None:
    with pytest.raises(DocumentError, match="holds the control character U\\+0000"):
        load_document("nul.txt", b"hello\x00world")


def test_truncated_pdf_is_refused() -> None:
    with pytest.raises(DocumentError, match=r"^cut\.pdf is not a readable PDF: "):
        load_document("cut.pdf", sample("nda-two-signers.pdf")[:400])


def test_encrypted_pdf_is_refused() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(sample("one-signer.pdf")))
    writer.encrypt("", "owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(
        DocumentError, match=r"^locked\.pdf is encrypted; upload it without a password$"
    ):
        load_document("locked.pdf", buffer.getvalue())


def test_pdf_text_of_garbage_raises_document_error() -> None:
    with pytest.raises(DocumentError, match=r"^this file is not a readable PDF: "):
        pdf_text(b"%PDF-1.4 garbage")


def test_document_error_is_a_value_error_with_a_reason() -> None:
    error = DocumentError("x.pdf has no pages")
    assert isinstance(error, ValueError) and isinstance(error, HsnbError)
    assert error.reason == str(error) == "x.pdf has no pages"
