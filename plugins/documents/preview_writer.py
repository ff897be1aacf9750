"""A template's blocks set as HTML for the edit page's preview: what the PDF will show, and nothing else.

The preview is written from the same blocks ``pdf_writer`` sets on paper, never from the template's
own HTML, so whatever the PDF leaves out (scripts, images, frames, styles, links, event attributes)
cannot reach the administrator's page either, and the preview cannot promise formatting the PDF does
not have. Every piece of text is escaped; the only markup is the handful of elements written here.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from .html_blocks import Block, Run

# fpdf2's alignments (and the reader's "start"/"end") as the classes documents.css gives them.
ALIGN_CLASSES = {"L": "left", "R": "right", "C": "center", "J": "justify", "start": "start", "end": "end"}
DEEPEST_INDENT = 6  # documents.css indents this many list levels; deeper ones stay at the sixth


def write_preview(blocks: list[Block]) -> Markup:
    """The HTML of ``blocks``: headings, paragraphs with their bullets, rules and tables, in order."""
    return Markup("\n").join(_block(block) for block in blocks)


def _block(block: Block) -> Markup:
    if block.kind == "rule":
        return Markup("<hr>")
    if block.kind == "table":
        return _table(block)
    tag = f"h{block.heading}" if block.heading else "p"
    text = _runs(block.runs)
    if block.bullet:
        text = escape(f"{block.bullet} ") + text
    return Markup("<{0}{1}>{2}</{0}>").format(tag, _attributes(block), text)


def _attributes(block: Block) -> Markup:
    """``class`` for the alignment and list depth and ``dir`` for the direction the author asked for."""
    classes = []
    if block.align in ALIGN_CLASSES:
        classes.append(f"documents-align-{ALIGN_CLASSES[block.align]}")
    if block.indent:
        classes.append(f"documents-indent-{min(block.indent, DEEPEST_INDENT)}")
    attributes = Markup("")
    if classes:
        attributes += Markup(' class="{}"').format(" ".join(classes))
    if block.direction:
        attributes += Markup(' dir="{}"').format(block.direction)
    return attributes


def _runs(runs: list[Run]) -> Markup:
    """Text escaped, bold stretches in ``<strong>``, hard line breaks as ``<br>``."""
    parts = []
    for run in runs:
        if run.text == "\n":
            parts.append(Markup("<br>"))
        elif run.bold:
            parts.append(Markup("<strong>{}</strong>").format(run.text))
        else:
            parts.append(escape(run.text))
    return Markup("").join(parts)


def _table(block: Block) -> Markup:
    """Every row as wide as the widest, as the PDF pads them; the first row as headings if it was."""
    width = max(len(row) for row in block.rows)
    rows = []
    for number, row in enumerate(block.rows):
        cell_tag = "th" if block.header_row and number == 0 else "td"
        cells = [_runs(cell) for cell in row] + [Markup("")] * (width - len(row))
        rows.append(Markup("<tr>{}</tr>").format(Markup("").join(_cell(cell_tag, cell) for cell in cells)))
    return Markup("<table{}>{}</table>").format(_attributes(block), Markup("").join(rows))


def _cell(tag: str, content: Markup) -> Markup:
    return Markup("<{0}>{1}</{0}>").format(tag, content)
