"""Markdown for ticket messages, rendered safely: no raw HTML, no scripts, no javascript: links."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
# A heading typed in a message is emphasis inside that message, not a heading of the page: as <h1>…<h6>
# it would break the page's outline (a "####" under the "Conversation" heading skips levels).
_markdown.add_render_rule("heading_open", lambda *_args: "<p><strong>")
_markdown.add_render_rule("heading_close", lambda *_args: "</strong></p>\n")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
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
