"""A plugin's view that passes a value named like the layout's own helpers gets a message saying so.

``slot`` is how the layout renders template slots; a view's ``render_template(..., slot=...)`` would
replace it, and the layout would fail far from the cause with "'str' object is not callable".
"""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string


def test_a_view_passing_slot_is_told_the_name_is_reserved(app: Flask) -> None:
    with app.test_request_context("/"), pytest.raises(TypeError, match="'slot' is reserved"):
        render_template_string('{% extends "layout.html" %}', slot="sidebar")


def test_the_layout_renders_its_slots_when_nobody_passes_the_name(app: Flask) -> None:
    with app.test_request_context("/"):
        page = render_template_string('{% extends "layout.html" %}{% block content %}kept{% endblock %}')
    assert "kept" in page
