"""Text a person wrote, kept apart from the page around it, so its direction cannot spill.

An English subject in a Persian page ("How do I change my address?") or a Persian name in an English
one is laid out by the browser's bidirectional algorithm with the page's direction unless it is
isolated: the question mark then lands on the wrong side. ``|isolate`` wraps a value in ``<bdi>`` in
HTML, and in first-strong isolate marks (U+2068 … U+2069) in plain text (``.txt`` mails), where there
are no tags. Blocks of such text (a message, an answer) take ``dir="auto"`` on their element instead.
"""

from __future__ import annotations

from flask import Flask
from jinja2 import Undefined, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


@pass_eval_context
def isolate(eval_ctx: EvalContext, value: object) -> str:
    """``{{ customer.name|isolate }}``: the value isolated as HTML or plain text needs; ``None``: nothing."""
    if value is None or isinstance(value, Undefined) or value == "":
        return ""
    if eval_ctx.autoescape:
        return Markup("<bdi>{}</bdi>").format(value)
    return isolated_text(str(value))


def isolated_text(text: str) -> str:
    """``text`` between first-strong isolate marks, for places that hold no tags (``<option>``)."""
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"


def install_isolate_filter(app: Flask) -> None:
    """``|isolate`` in every template, a plugin's too, and ``|isolated_text`` for ``<option>`` labels."""
    app.jinja_env.filters["isolate"] = isolate
    app.jinja_env.filters["isolated_text"] = isolated_text
