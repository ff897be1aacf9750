"""Find every form a visitor can reach, the way a browser would: follow links, read the HTML.

Crawling rather than listing WTForms classes means a form a plugin adds tomorrow is found without
anyone registering it, and each form comes with the URL it really posts to and the values its page
pre-fills (the choices, the hidden tokens), so a test can submit it exactly as a browser does.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask.testing import FlaskClient

TEXT_TYPES = frozenset({"text", "search", "email", "tel", "url", "password", "textarea"})
UNSENT_TYPES = frozenset({"submit", "button", "reset", "image", "file"})
ID_IN_PATH = re.compile(r"/\d+(?=/|$)")


@dataclass
class Field:
    """One named control of a form, with what the page filled in."""

    name: str
    type: str  # an <input>'s type, or "textarea", or "select"
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    multiple: bool = False
    required: bool = False


@dataclass
class Form:
    """A <form> as found on a page: where it goes, how, and its fields in page order."""

    page: str
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value) of named submit buttons

    @property
    def text_fields(self) -> list[Field]:
        return [each for each in self.fields if each.type in TEXT_TYPES]

    def key(self) -> str:
        """The form's identity across pages: method, action with ids generalised, and field names."""
        names = ",".join(sorted({each.name for each in self.fields}))
        return f"{self.method} {ID_IN_PATH.sub('/#', urlsplit(self.action).path)} [{names}]"

    def browser_data(self) -> dict[str, list[str]]:
        """What a browser sends when nobody changes what the page filled in (first named button pressed).

        A required choice nobody made (radio buttons without a checked one) gets its first option, as
        a person would have to pick one to send the form at all.
        """
        data: dict[str, list[str]] = {}
        for each in self.fields:
            if each.type in ("checkbox", "radio"):
                if each.checked:
                    data.setdefault(each.name, []).append(each.value or "on")
            elif each.type == "select":
                chosen = each.selected or each.options[:1]
                data.setdefault(each.name, []).extend(chosen if each.multiple else chosen[:1])
            else:
                data.setdefault(each.name, []).append(each.value)
        for each in self.fields:
            if each.type == "radio" and each.required and each.name not in data:
                data[each.name] = [each.value]  # a person must choose one: the first will do
        if self.buttons:
            name, value = self.buttons[0]
            data.setdefault(name, []).append(value)
        return data


class _PageParser(HTMLParser):
    """Collects a page's links and forms; one parser per page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: str | None = None
        self._option_selected = False
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form":
            self._form = Form(
                page=self.page,
                action=urljoin(self.page, a.get("action") or self.page),
                method=(a.get("method") or "get").upper(),
            )
            self.forms.append(self._form)
        elif self._form is None or (not a.get("name") and tag != "option"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in UNSENT_TYPES:
                if kind == "submit":
                    self._form.buttons.append((a["name"], a.get("value", "")))
                return
            self._form.fields.append(
                Field(a["name"], kind, a.get("value", ""), "checked" in a, required="required" in a)
            )
        elif tag == "button":
            if a.get("type", "submit").lower() == "submit":
                self._form.buttons.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea", required="required" in a)
            self._form.fields.append(self._textarea)
        elif tag == "select":
            self._select = Field(a["name"], "select", multiple="multiple" in a, required="required" in a)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = a.get("value")
            self._option_selected = "selected" in a
            if self._option is not None:
                self._close_option()

    def _close_option(self, text: str = "") -> None:
        assert self._select is not None
        value = self._option if self._option is not None else text.strip()
        self._select.options.append(value)
        if self._option_selected:
            self._select.selected.append(value)
        self._option = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            self._textarea.value = self._textarea.value.removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None


def parse_page(page: str, html: str) -> tuple[list[str], list[Form]]:
    """The links and the forms of one page."""
    parser = _PageParser(page)
    parser.feed(html)
    parser.close()
    return parser.links, parser.forms


def _pattern(path: str) -> str:
    return ID_IN_PATH.sub("/#", path)


def crawl(
    client: FlaskClient,
    start: list[str],
    *,
    skip: tuple[str, ...] = (),
    max_pages: int = 200,
    per_pattern: int = 2,
) -> list[Form]:
    """The distinct forms on the pages reachable from ``start`` by links, for the signed-in ``client``.

    Pages whose path differs only in ids count as one kind of page, visited at most ``per_pattern``
    times; query strings are dropped (they page and filter the same forms). Paths starting with one
    of ``skip`` are not opened. Each form is kept once, from the first page it was found on.
    """
    queue = deque(start)
    seen_paths: set[str] = set()
    visits: dict[str, int] = {}
    forms: dict[str, Form] = {}
    while queue and len(seen_paths) < max_pages:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.path in seen_paths:
            continue
        if parts.path.startswith(skip):
            continue
        pattern = _pattern(parts.path)
        if visits.get(pattern, 0) >= per_pattern:
            continue
        seen_paths.add(parts.path)
        visits[pattern] = visits.get(pattern, 0) + 1
        response = client.get(parts.path)
        if response.status_code in (301, 302, 303, 307, 308) and response.location:
            queue.append(urljoin(parts.path, response.location))
            continue
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        links, found = parse_page(parts.path, response.get_data(as_text=True))
        for form in found:
            forms.setdefault(form.key(), form)
        queue.extend(links)
    return list(forms.values())
