"""A filled template's HTML read as the blocks a letter is made of: headings, paragraphs, lists, tables.

fpdf2's own HTML writer lays text out without the Unicode bidirectional algorithm, so numbers and
Latin words inside Persian paragraphs come out reversed. We read the HTML ourselves and hand each
block to fpdf2's cell writer, which does apply the algorithm. Only what a letter needs is kept:
images, forms and scripts are dropped (an image would also let a template fetch URLs or read files).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from portal.plugin import format_number

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "blockquote",
    "section",
    "article",
    "header",
    "footer",
    "address",
    "pre",
    "main",
    "aside",
    "dd",
    "dt",
    *HEADINGS,
}
BOLD_TAGS = {"b", "strong", "th"}
SKIPPED_TAGS = {"script", "style", "head", "title", "template", "svg", "math", "select", "textarea"}
ALIGNMENTS = {"left": "L", "right": "R", "center": "C", "justify": "J", "start": "start", "end": "end"}
DIRECTIONS = {"ltr", "rtl", "auto"}
TEXT_ALIGN_STYLE = re.compile(r"text-align\s*:\s*([a-z]+)", re.IGNORECASE)
SPACES = re.compile(r"\s+")
MAX_TABLE_COLUMNS = 12


@dataclass
class Run:
    """A stretch of text in one weight; ``\\n`` alone is a hard line break."""

    text: str
    bold: bool = False


@dataclass
class Block:
    """One paragraph-like piece of the page, with how the author asked it to be set."""

    kind: str  # "text", "rule" or "table"
    runs: list[Run] = field(default_factory=list)
    heading: int = 0
    align: str | None = None
    direction: str | None = None
    indent: int = 0
    bullet: str = ""
    rows: list[list[list[Run]]] = field(default_factory=list)
    header_row: bool = False

    def plain_text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass
class _Open:
    tag: str
    align: str | None
    direction: str | None


class _Reader(HTMLParser):
    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.blocks: list[Block] = []
        self.runs: list[Run] = []
        self.stack: list[_Open] = []
        self.lists: list[list[int | None]] = []  # per open list: [next number] or [None] for bullets
        self.bold = 0
        self.skipping = 0
        self.bullet = ""
        self.table: Block | None = None
        self.cell: list[Run] | None = None
        self.nested_tables = 0  # tables inside a table: their text joins the outer cell

    # --- what the author asked for, inherited from the enclosing elements ------------------------

    def _inherited(self, attribute: str) -> str | None:
        for element in reversed(self.stack):
            value = getattr(element, attribute)
            if value is not None:
                return value
        return None

    def _heading(self) -> int:
        return next((HEADINGS[e.tag] for e in reversed(self.stack) if e.tag in HEADINGS), 0)

    # --- parser callbacks --------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping += 1
            return
        if self.skipping:
            return
        values = {name: (value or "") for name, value in attrs}
        if tag == "br":
            self._text_target().append(Run("\n"))
            return
        if tag == "hr":
            self._flush()
            self.blocks.append(Block(kind="rule"))
            return
        if tag in {"img", "input", "link", "meta", "source", "wbr", "col", "area", "base", "embed"}:
            return
        if self.table is not None:
            self._table_tag(tag)
        elif tag == "table":
            self._flush()
            self.table = Block(
                kind="table", align=self._inherited("align"), direction=self._inherited("direction")
            )
        elif tag in {"ul", "ol"}:
            self._flush()
            self.lists.append([1 if tag == "ol" else None])
        elif tag in BLOCK_TAGS:
            self._flush()
            if tag == "li" and self.lists:
                number = self.lists[-1][0]
                self.bullet = "•" if number is None else f"{list_number(number, self.language)}."
                if number is not None:
                    self.lists[-1][0] = number + 1
        if tag in BOLD_TAGS:
            self.bold += 1
        self.stack.append(_Open(tag, _alignment(values), _direction(values)))

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping or not any(element.tag == tag for element in self.stack):
            return
        while self.stack:
            element = self.stack[-1]
            self._close(element.tag)  # while the element still lends its heading, alignment, direction
            self.stack.pop()
            if element.tag in BOLD_TAGS:
                self.bold -= 1
            if element.tag == tag:
                break

    def _close(self, tag: str) -> None:
        if self.table is not None:
            if tag == "table" and self.nested_tables:
                self.nested_tables -= 1
            elif tag in {"td", "th"} and not self.nested_tables:
                self.cell = None
            elif tag == "table":
                self._end_table()
            return
        if tag in {"ul", "ol"} and self.lists:
            self._flush()
            self.lists.pop()
        elif tag in BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        self._text_target().append(Run(data, bold=self.bold > 0))

    # --- tables --------------------------------------------------------------------------------

    def _table_tag(self, tag: str) -> None:
        assert self.table is not None
        if tag == "table":
            self.nested_tables += 1
        elif self.nested_tables:
            if tag in {"td", "th"}:
                self._text_target().append(Run(" "))
        elif tag == "tr":
            self.table.rows.append([])
            self.cell = None
        elif tag in {"td", "th"}:
            if not self.table.rows:
                self.table.rows.append([])
            row = self.table.rows[-1]
            if len(row) < MAX_TABLE_COLUMNS:
                row.append([])
                self.cell = row[-1]
            if tag == "th" and len(self.table.rows) == 1:
                self.table.header_row = True

    def _end_table(self) -> None:
        assert self.table is not None
        rows = [[_collapse(cell) for cell in row] for row in self.table.rows if row]
        if rows:
            self.table.rows = rows
            self.blocks.append(self.table)
        self.table = None
        self.cell = None

    # --- collecting text ------------------------------------------------------------------------

    def _text_target(self) -> list[Run]:
        if self.table is not None:
            return self.cell if self.cell is not None else []
        return self.runs

    def _flush(self) -> None:
        runs = _collapse(self.runs)
        self.runs = []
        if runs:
            self.blocks.append(
                Block(
                    kind="text",
                    runs=runs,
                    heading=self._heading(),
                    align=self._inherited("align"),
                    direction=self._inherited("direction"),
                    indent=len(self.lists),
                    bullet=self.bullet,
                )
            )
            self.bullet = ""

    def close(self) -> None:
        super().close()
        if self.table is not None:
            self._end_table()
        self._flush()


def _alignment(attrs: dict[str, str]) -> str | None:
    found = TEXT_ALIGN_STYLE.search(attrs.get("style", ""))
    value = (found.group(1) if found else attrs.get("align", "")).lower()
    return ALIGNMENTS.get(value)


def _direction(attrs: dict[str, str]) -> str | None:
    value = attrs.get("dir", "").lower()
    return value if value in DIRECTIONS else None


def _collapse(runs: list[Run]) -> list[Run]:
    """HTML's whitespace rule: runs of spaces and newlines are one space, none at the edges of a line."""
    out: list[Run] = []
    at_line_start = True
    for run in runs:
        if run.text == "\n":
            if out and out[-1].text.endswith(" "):
                out[-1].text = out[-1].text.rstrip(" ")
            out.append(Run("\n"))
            at_line_start = True
            continue
        text = SPACES.sub(" ", run.text)
        if at_line_start:
            text = text.lstrip(" ")
        elif out and out[-1].text.endswith(" ") and text.startswith(" "):
            text = text[1:]
        if not text:
            continue
        out.append(Run(text, run.bold))
        at_line_start = False
    while out and out[-1].text == "\n":
        out.pop()
    if out:
        out[-1].text = out[-1].text.rstrip(" ")
    return [run for run in out if run.text]


def read_blocks(html: str, language: str) -> list[Block]:
    """The blocks of ``html`` in reading order; unknown tags keep their text, unsafe ones lose it.

    ``language`` is the reader's: numbered lists count in its digits (۱. ۲. in Persian).
    """
    reader = _Reader(language)
    reader.feed(html)
    reader.close()
    return reader.blocks


def list_number(number: int, language: str) -> str:
    """An item's number in a numbered list, in the digits of ``language``."""
    return format_number(number, locale=language, grouping=False)
