"""Markdown for ticket messages, rendered safely: no raw HTML, no scripts, no javascript: links."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip


def render_markdown(text: str) -> Markup:
    """Markdown to HTML, then cleaned by nh3 so only harmless tags and http(s)/mailto links remain."""
    html = _markdown.render(text)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(cleaned)  # noqa: S704  (cleaned by nh3 just above)
