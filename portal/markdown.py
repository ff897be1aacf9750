"""Markdown that staff and customers write (ticket messages, help articles), rendered safely: no raw HTML,
no scripts, no javascript: links. One renderer, so every plugin sanitises text the same way.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup

# In a message a typed heading is emphasis, not a heading of the page: as <h1>…<h6> it would break the
# page's outline (a "####" under the "Conversation" heading skips levels). Articles keep h2–h4.
_message_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
_message_markdown.add_render_rule("heading_open", lambda *_args: "<p><strong>")
_message_markdown.add_render_rule("heading_close", lambda *_args: "</strong></p>\n")


def _headings_below_the_title(state: StateCore) -> None:
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 4)}"


_document_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image").enable("table")
)
_document_markdown.core.ruler.push("headings_below_the_title", _headings_below_the_title)

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
}  # fmt: skip


HEADING_TAGS = {"h2", "h3", "h4"}
DOCUMENT_TAGS = ALLOWED_TAGS | HEADING_TAGS | {"table", "thead", "tbody", "tr", "th", "td"}


# A ticket's page, and the poll that refreshes its conversation every 20 seconds, render the same
# messages again and again, and a message's HTML depends on its text alone: the shorter ones (most
# messages) are kept, at most a few megabytes in all.
KEPT_MESSAGES = 512
KEPT_UP_TO = 2000  # characters


def render_markdown(text: str) -> Markup:
    """A message as HTML that cannot script the page: only harmless tags and http(s)/mailto links."""
    if len(text) <= KEPT_UP_TO:
        return _kept_message(text)
    return _message_html(text)


@lru_cache(maxsize=KEPT_MESSAGES)
def _kept_message(text: str) -> Markup:
    return _message_html(text)


def _message_html(text: str) -> Markup:
    return _clean(_message_markdown.render(text), ALLOWED_TAGS)


def render_document_markdown(text: str) -> Markup:
    """A longer text staff write for customers (a help article): the same rules, with section headings.

    A heading typed with one ``#`` becomes ``<h2>``, because the page's title is the ``<h1>``; so an
    article's outline never skips a level, and deeper headings stop at ``<h4>``.
    """
    return _clean(_document_markdown.render(text), DOCUMENT_TAGS)


def _clean(html: str, tags: set[str]) -> Markup:
    cleaned = nh3.clean(
        html,
        tags=tags,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(cleaned)  # noqa: S704  (cleaned by nh3 just above)
