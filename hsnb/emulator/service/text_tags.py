"""Dropbox Sign text tags: their syntax, and where they sit on a PDF page.

A text tag is text in the document such as ``[sig|req|signer1|Sign here|sig1]``: square brackets
around ``type|requirement|signerN`` plus an optional label and an optional unique id.

What counts as a tag, and what as *malformed* (the hsnb rule; Dropbox Sign does not document one):

* Only a ``[`` followed directly by a known type word (exactly, lower case: ``sig``, ``initial``,
  ``text``, ``check``, ``date``, ``text-merge``, ``checkbox-merge``) and a ``|`` starts a tag
  candidate. Everything else in brackets, such as ``[1]``, ``[see appendix]`` or ``[SIG|req]``,
  is ordinary text and never an error.
* A candidate is malformed when
  - it is not closed by ``]`` before the end of its line, the next ``[``, or the end of the page;
  - it has fewer than 3 or more than 5 ``|``-separated parts;
  - its requirement is neither ``req`` / ``noreq`` nor another alphabetic word (Dropbox Sign
    treats unknown words as ``req``, and so does hsnb; ``r3q``, an empty part or `` req`` with a
    space are malformed);
  - its signer part does not match ``signer[1-9][0-9]*`` (``signerX``, ``signer0``, ``Signer1``).
  Parts are taken as written: no white space is stripped. An empty label or id means "none".

Positions come from pypdf's text extraction with a visitor: each text run's matrix gives where it
starts, and glyph widths (the font's ``/Widths``, ``/W`` through ``/ToUnicode``, or the core font
metrics of fpdf2) give where the tag starts and ends inside the run. Text in form XObjects is
placed by the CTM at their ``Do``. A run that starts with a space in mid-line is taken to start
with the space pypdf inserts between runs, which is not drawn. Not implemented: character and
word spacing (``Tc``, ``Tw``) and horizontal scaling (``Tz``) inside a run, vertical fonts, a form
XObject's own ``/Matrix`` (each may shift a rect), duplicate unique ids, and Dropbox Sign's group
validation of checkboxes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fpdf.fonts import CORE_FONTS_CHARWIDTHS
from pypdf import PageObject
from pypdf.errors import PyPdfError
from pypdf.generic import DictionaryObject

#: The text tag types Dropbox Sign knows.
TAG_KINDS: tuple[str, ...] = (
    "sig",
    "initial",
    "text",
    "check",
    "date",
    "text-merge",
    "checkbox-merge",
)

Rect = tuple[float, float, float, float]

# A candidate: "[" + a known type + "|" up to the closing "]" (absent when the tag is unclosed).
_CANDIDATE = re.compile(
    r"\[(?:" + "|".join(sorted(map(re.escape, TAG_KINDS), key=len, reverse=True)) + r")\|"
    r"[^\[\]\n]*\]?"
)
_SIGNER = re.compile(r"signer([1-9][0-9]*)")
# Glyph box around the baseline, as fractions of the font size (covers brackets and descenders).
_DESCENT, _ASCENT = 0.25, 0.9
# pypdf raises its own errors for broken PDFs, and a few built-in ones from deep inside.
PDF_READ_ERRORS: tuple[type[Exception], ...] = (
    PyPdfError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
)


@dataclass(frozen=True)
class TextTag:
    """A well-formed text tag found on a page.

    ``signer`` is N of ``signerN`` (1-based position in the request's signer list), ``page`` is
    0-based and ``rect`` is ``(x, y, width, height)`` in PDF points, origin bottom-left.
    """

    kind: str
    required: bool
    signer: int
    label: str | None
    api_id: str | None
    page: int
    rect: Rect
    raw: str


@dataclass(frozen=True)
class TagProblem:
    """A text tag that stops the document from being processed.

    ``kind`` is ``"malformed"`` (see the module docstring) or ``"signer_mismatch"`` (a signer
    number the request does not have); ``message`` says which and where. ``document`` and
    ``rect`` (as in :class:`TextTag`) locate it; they are extras beyond the emulator's contract.
    """

    raw: str
    page: int
    kind: str
    message: str
    document: str = ""
    rect: Rect | None = None


@dataclass(frozen=True)
class _ParsedTag:
    kind: str
    required: bool
    signer: int
    label: str | None
    api_id: str | None


def parse_tag(raw: str) -> _ParsedTag | str:
    """Parse one tag candidate such as ``[sig|req|signer1]``; return the fields or what is wrong."""
    if not raw.endswith("]"):
        return f"text tag {raw} is not closed with ']'"
    parts = raw[1:-1].split("|")
    if not 3 <= len(parts) <= 5:
        return (
            f"text tag {raw} has {len(parts)} parts; expected type|req-or-noreq|signerN "
            "with an optional label and id"
        )
    kind, requirement, signer = parts[:3]
    if not requirement.isalpha():
        return f"text tag {raw} has requirement {requirement!r}; expected req or noreq"
    match = _SIGNER.fullmatch(signer)
    if match is None:
        return f"text tag {raw} has signer {signer!r}; expected signer1, signer2, ..."
    label, api_id = (parts[3:] + ["", ""])[:2]
    return _ParsedTag(kind, requirement != "noreq", int(match[1]), label or None, api_id or None)


@dataclass(frozen=True)
class _Run:
    """A piece of page text drawn from one start point, as pypdf's visitor reports it."""

    text: str
    matrix: tuple[float, ...]  # text space -> user space (Tm x CTM)
    font_size: float
    font: DictionaryObject | None
    start: int  # where the run begins in the page text
    lead: int  # leading characters pypdf added that are not drawn (0 or 1)


def find_tags(
    page: PageObject, page_index: int, document: str
) -> tuple[list[TextTag], list[TagProblem]]:
    """Find the text tags on one page: well-formed ones, and malformed ones as problems.

    Raises whatever pypdf raises for a broken page (see :data:`PDF_READ_ERRORS`).
    """
    pieces: list[tuple[str, tuple[float, ...], float, Any]] = []
    forms: list[list[float]] = []  # the CTM at each enclosing form XObject's Do, outermost first

    def before(operator: bytes, operands: Any, cm: Any, tm: Any) -> None:
        if operator == b"Do":
            forms.append([float(v) for v in cm])

    def after(operator: bytes, operands: Any, cm: Any, tm: Any) -> None:
        if operator == b"Do" and forms:
            forms.pop()

    def visit(text: str, cm: Any, tm: Any, font: Any, font_size: Any) -> None:
        if text:
            matrix = _multiply(tm, cm)
            for outer in reversed(forms):  # pypdf reports form text in the form's own space
                matrix = _multiply(matrix, outer)
            pieces.append((text, tuple(matrix), float(font_size), font))

    page.extract_text(
        visitor_operand_before=before, visitor_operand_after=after, visitor_text=visit
    )
    runs: list[_Run] = []
    text = ""
    for piece, matrix, font_size, font in pieces:
        # pypdf puts the space it inserts between two runs of one line at the start of the later
        lead = 1 if piece[0] == " " and text[-1:] not in ("", "\n") else 0
        runs.append(_Run(piece, matrix, font_size, font, len(text), lead))
        text += piece
    widths = _FontWidths()
    tags: list[TextTag] = []
    problems: list[TagProblem] = []
    for match in _CANDIDATE.finditer(text):
        raw = match[0].rstrip()
        rect = _span_rect(runs, match.start(), match.start() + len(raw), widths)
        parsed = parse_tag(raw)
        if isinstance(parsed, str):
            where = f" ({document}, page {page_index + 1})"
            problems.append(
                TagProblem(raw, page_index, "malformed", parsed + where, document, rect)
            )
        else:
            tags.append(
                TextTag(
                    parsed.kind, parsed.required, parsed.signer, parsed.label, parsed.api_id,
                    page_index, rect, raw,
                )
            )  # fmt: skip
    return tags, problems


def validate_tags(
    tags: Sequence[TextTag], malformed: Sequence[TagProblem], document: str, signer_count: int
) -> list[TagProblem]:
    """The malformed tags plus every tag naming a signer outside ``1..signer_count``.

    Ordered by page, then reading order (top to bottom, left to right).
    """
    signers = f"{signer_count} signer{'' if signer_count == 1 else 's'}"
    problems = list(malformed)
    for tag in tags:
        if not 1 <= tag.signer <= signer_count:
            message = (
                f"text tag {tag.raw} names signer{tag.signer} but the request has {signers}"
                f" ({document}, page {tag.page + 1})"
            )
            problems.append(
                TagProblem(tag.raw, tag.page, "signer_mismatch", message, document, tag.rect)
            )
    return sorted(problems, key=_reading_order)


def _reading_order(problem: TagProblem) -> tuple[int, float, float]:
    x, y, _, height = problem.rect or (0.0, 0.0, 0.0, 0.0)
    return (problem.page, -round(y + height), x)


def _multiply(m: Any, n: Any) -> list[float]:
    a, b, c, d, e, f = (float(v) for v in m)
    p, q, r, s, t, u = (float(v) for v in n)
    return [
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    ]


def _span_rect(runs: list[_Run], begin: int, end: int, widths: _FontWidths) -> Rect:
    """The user-space box around the characters ``begin:end`` of the page text."""
    xs: list[float] = []
    ys: list[float] = []
    for run in runs:
        lo = max(begin - run.start, run.lead)
        hi = min(end - run.start, len(run.text))
        if lo >= hi:
            continue
        width = widths.of(run.font)
        x0 = sum(map(width, run.text[run.lead : lo])) / 1000 * run.font_size
        x1 = x0 + sum(map(width, run.text[lo:hi])) / 1000 * run.font_size
        a, b, c, d, e, f = run.matrix
        for u in (x0, x1):
            for v in (-_DESCENT * run.font_size, _ASCENT * run.font_size):
                xs.append(a * u + c * v + e)
                ys.append(b * u + d * v + f)
    return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


class _FontWidths:
    """Glyph widths (1/1000 of the font size) per character, one table per font dictionary."""

    def __init__(self) -> None:
        self._tables: dict[int, Callable[[str], float]] = {}

    def of(self, font: DictionaryObject | None) -> Callable[[str], float]:
        key = id(font)
        if key not in self._tables:
            try:
                self._tables[key] = _width_table(font)
            except PDF_READ_ERRORS:  # a broken font dictionary: fall back to an average width
                self._tables[key] = lambda char: 500.0
        return self._tables[key]


def _width_table(font: DictionaryObject | None) -> Callable[[str], float]:
    if font is None:
        return lambda char: 500.0
    codes = _to_codes(font.get("/ToUnicode"))
    if font.get("/Subtype") == "/Type0":
        descendant = font["/DescendantFonts"][0].get_object()
        default = float(descendant.get("/DW", 1000))
        cid_widths = _cid_widths(descendant.get("/W"))
        return lambda char: cid_widths.get(codes.get(char, ord(char)), default)
    if "/Widths" in font:
        first = int(font.get("/FirstChar", 0))
        table = [float(w) for w in font["/Widths"]]
        descriptor = font.get("/FontDescriptor")
        missing = float(descriptor.get_object().get("/MissingWidth", 0)) if descriptor else 0.0
        missing = missing or sum(table) / max(len(table), 1)

        def simple(char: str) -> float:
            index = codes.get(char, ord(char)) - first
            return table[index] if 0 <= index < len(table) else missing

        return simple
    base = str(font.get("/BaseFont", "")).split("+")[-1].lower()
    family = next((f for f in ("courier", "times") if f in base), "helvetica")
    style = ("B" if "bold" in base else "") + ("I" if "italic" in base or "oblique" in base else "")
    core = CORE_FONTS_CHARWIDTHS[family + style]
    return lambda char: float(core.get(char, 600 if family == "courier" else 500))


def _cid_widths(array: Any) -> dict[int, float]:
    """Parse a CID font's ``/W`` array: ``c [w1 w2 ...]`` and ``c_first c_last w`` entries."""
    items = [item.get_object() for item in array.get_object()] if array is not None else []
    widths: dict[int, float] = {}
    index = 0
    while index + 1 < len(items):
        first, second = int(items[index]), items[index + 1]
        if isinstance(second, list):
            widths.update({first + k: float(w) for k, w in enumerate(second)})
            index += 2
        else:
            widths.update(dict.fromkeys(range(first, int(second) + 1), float(items[index + 2])))
            index += 3
    return widths


_HEX = r"<([0-9A-Fa-f]+)>"
_BFCHAR = re.compile(_HEX + r"\s*" + _HEX)
_BFRANGE = re.compile(_HEX + r"\s*" + _HEX + r"\s*(?:" + _HEX + r"|\[([^\]]*)\])")


def _to_codes(to_unicode: Any) -> dict[str, int]:
    """Invert a ``/ToUnicode`` CMap (bfchar and bfrange entries): character -> character code."""
    if to_unicode is None:
        return {}
    cmap = to_unicode.get_object().get_data().decode("latin-1")
    codes: dict[str, int] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in _BFCHAR.findall(block):
            codes.setdefault(_utf16(dst), int(src, 16))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst, listed in _BFRANGE.findall(block):
            targets = re.findall(_HEX, listed) if listed else None
            for offset in range(min(int(hi, 16) - int(lo, 16) + 1, 65536)):
                if targets is not None:
                    if offset >= len(targets):
                        break
                    char = _utf16(targets[offset])
                else:
                    char = chr(ord(_utf16(dst)[-1]) + offset)
                codes.setdefault(char, int(lo, 16) + offset)
    return codes


def _utf16(hex_text: str) -> str:
    return bytes.fromhex(hex_text).decode("utf-16-be", "replace") or "\ufffd"
