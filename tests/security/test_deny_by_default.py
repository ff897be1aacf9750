"""Deny by default: the app does not start while any view, the core's or a plugin's, is undeclared.

The start-up refusal for installed plugins (plain routes, nested blueprints, add_url_rule and
class-based views, enabled or not) is tested in tests/test_plugin_switching.py with stand-in plugins;
here the same check covers the core's own views. Every test app of the suite starts through it, so
a started app is itself the proof that every view it has is declared.
"""

from __future__ import annotations

import pytest

from portal.plugin_manager import PluginError, plugin_host


def test_an_undeclared_core_view_is_named_with_the_fix(app):
    app.add_url_rule("/core-forgot", "core_forgot", lambda: "anyone can read this")
    with pytest.raises(PluginError) as refusal:
        plugin_host(app).refuse_undeclared_views()
    message = str(refusal.value)
    assert "'core_forgot' of the portal core (URL /core-forgot)" in message
    assert "Decorate it with one of portal.plugin.public, customer, agent or admin" in message


def test_a_view_named_like_a_static_route_is_still_checked(app):
    """Only Flask's static file views are exempt, not any endpoint whose name ends in ``.static``."""
    from flask import Blueprint

    impostor = Blueprint("impostor", __name__, url_prefix="/impostor")
    impostor.add_url_rule("/<path:filename>", "static", lambda filename: filename)
    app.register_blueprint(impostor)
    with pytest.raises(PluginError, match=r"'impostor\.static'"):
        plugin_host(app).refuse_undeclared_views()
