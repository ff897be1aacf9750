"""A template's blocks set as an A4 PDF, one fpdf2 cell per block.

fpdf2's cell writer shapes Persian and Arabic with HarfBuzz and orders each paragraph with the Unicode
bidirectional algorithm, so "2026" stays "2026" inside a right-to-left sentence. Bold stretches go
through fpdf2's markdown, with everything the customer's data could contain escaped first.
"""

from __future__ import annotations

import re
from pathlib import Path

from fpdf import FPDF
from fpdf.bidi import auto_detect_base_direction

from .html_blocks import Block, Run

BODY_SIZE = 11
HEADING_SIZES = {1: 20, 2: 16, 3: 14, 4: 12, 5: 11, 6: 11}
LINE_SPACING = 1.6  # line height as a multiple of the font size
POINT_MM = 0.3528
INDENT_MM = 7
MAX_PAGES = 50
MAX_CHARACTERS_PER_PAGE = 8000  # more than the smallest text fits on an A4 page
MARKDOWN_MARKERS = re.compile(r"(\*\*|__|--|~~)")


class LayoutError(Exception):
    """The blocks cannot be set on paper; the message is for the administrator."""


def write_pdf(
    blocks: list[Block], *, title: str, language: str, direction: str, fonts: tuple[Path, Path]
) -> bytes:
    """The PDF of ``blocks`` for a reader of ``language`` (``direction`` ``rtl`` or ``ltr``).

    ``fonts`` are the regular and bold faces.
    """
    if _text_length(blocks) > MAX_PAGES * MAX_CHARACTERS_PER_PAGE:  # refused before any slow layout
        raise LayoutError(f"The document would be longer than {MAX_PAGES} pages.")
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_lang(language)
    pdf.add_font("Body", style="", fname=str(fonts[0]))
    pdf.add_font("Body", style="B", fname=str(fonts[1]))
    pdf.set_font("Body", size=BODY_SIZE)
    pdf.add_page()
    for block in blocks:
        block_direction = _shape(pdf, block, block.direction or direction, language)
        if block.kind == "rule":
            _rule(pdf)
        elif block.kind == "table":
            _table(pdf, block, block_direction)
        else:
            _paragraph(pdf, block, block_direction)
        if pdf.page > MAX_PAGES:
            raise LayoutError(f"The document would be longer than {MAX_PAGES} pages.")
    return bytes(pdf.output())


def _text_length(blocks: list[Block]) -> int:
    """Characters of text in ``blocks``, paragraphs and table cells alike."""
    return sum(
        len(block.plain_text()) + sum(len(run.text) for row in block.rows for cell in row for run in cell)
        for block in blocks
    )


def _shape(pdf: FPDF, block: Block, direction: str, language: str) -> str:
    """Set the block's paragraph direction and return it; ``auto`` takes the first strong letter's."""
    if direction not in {"ltr", "rtl"}:
        text = block.plain_text() or " ".join(run.text for row in block.rows for cell in row for run in cell)
        direction = auto_detect_base_direction(text).value.lower()
    pdf.set_text_shaping(use_shaping_engine=True, direction=direction, language=language.split("_")[0])
    return direction


def _align(requested: str | None, direction: str) -> str:
    start, end = ("R", "L") if direction == "rtl" else ("L", "R")
    return {"start": start, "end": end, None: start}.get(requested, requested or start)


def _markdown(runs: list[Run], *, bold_allowed: bool = True) -> str:
    """Runs as fpdf2 markdown: bold stretches marked, every marker the text itself holds escaped."""
    parts = []
    for run in runs:
        text = MARKDOWN_MARKERS.sub(r"\\\1", run.text.replace("\\", "\\\\"))
        if run.bold and bold_allowed and run.text.strip():
            lead = text[: len(text) - len(text.lstrip())]
            trail = text[len(text.rstrip()) :]
            text = f"{lead}**{text.strip()}**{trail}"
        parts.append(text)
    return "".join(parts)


def _paragraph(pdf: FPDF, block: Block, direction: str) -> None:
    size = HEADING_SIZES.get(block.heading, BODY_SIZE)
    pdf.set_font("Body", style="B" if block.heading else "", size=size)
    line = size * POINT_MM * LINE_SPACING
    left, right = pdf.l_margin, pdf.r_margin
    indent = block.indent * INDENT_MM
    if direction == "rtl":
        pdf.set_right_margin(right + indent)
    else:
        pdf.set_left_margin(left + indent)
    text = _markdown(block.runs, bold_allowed=not block.heading)
    if block.bullet:
        text = f"{block.bullet} {text}"
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(
        0, line, text, align=_align(block.align, direction), markdown=True, new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_left_margin(left)
    pdf.set_right_margin(right)
    pdf.ln(line * (0.6 if block.heading else 0.4))
    pdf.set_font("Body", style="", size=BODY_SIZE)


def _rule(pdf: FPDF) -> None:
    y = pdf.get_y() + 2
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.set_y(y + 4)


def _table(pdf: FPDF, block: Block, direction: str) -> None:
    width = max(len(row) for row in block.rows)
    line = BODY_SIZE * POINT_MM * 1.4
    with pdf.table(
        text_align=_align(block.align, direction),
        markdown=True,
        first_row_as_headings=block.header_row,
        line_height=line,
    ) as table:
        for number, row in enumerate(block.rows):
            cells = row + [[] for _ in range(width - len(row))]
            if direction == "rtl":
                cells.reverse()
            out = table.row()
            for cell in cells:
                out.cell(_markdown(cell, bold_allowed=not (block.header_row and number == 0)))
    pdf.ln(line * 0.5)
