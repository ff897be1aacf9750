"""Plugins whose author forgot to say who may open a view; the portal must refuse to start with any.

Each class below is installed as a plugin of its own (entry point ``undeclared_view_plugin:<Class>``),
one way of adding a view each: a decorated route, a nested blueprint, ``add_url_rule`` and a
``MethodView``. Only the forgotten declaration differs from a correct plugin.
"""

from __future__ import annotations

from flask import Blueprint
from flask.views import MethodView

from portal.plugin import hookimpl, public

routed = Blueprint("routed", __name__, url_prefix="/routed")


@routed.route("/declared")
@public
def declared_page() -> str:
    """A correct view next to the forgotten one: it alone would be accepted."""
    return "declared"


@routed.route("/forgotten")
def forgotten_page() -> str:
    """No access declaration: anyone, signed in or not, could open it."""
    return "anyone can read this"


nested = Blueprint("nested", __name__, url_prefix="/nested-undeclared")
nested_inner = Blueprint("inner", __name__, url_prefix="/inner")


@nested_inner.route("/")
def inner_forgotten() -> str:
    """Forgotten inside a child blueprint, whose endpoint is ``nested.inner.inner_forgotten``."""
    return "anyone can read this"


nested.register_blueprint(nested_inner)

ruled = Blueprint("ruled", __name__, url_prefix="/ruled")


def ruled_forgotten() -> str:
    """Added with add_url_rule instead of a decorator, and undeclared."""
    return "anyone can read this"


ruled.add_url_rule("/", "ruled_forgotten", ruled_forgotten)

classy = Blueprint("classy", __name__, url_prefix="/classy")


class ForgottenView(MethodView):
    """A class-based view without ``decorators = [customer]`` or the like."""

    def get(self) -> str:
        return "anyone can read this"


classy.add_url_rule("/", view_func=ForgottenView.as_view("forgotten"))


class Routed:
    @staticmethod
    @hookimpl
    def portal_blueprints() -> list[Blueprint]:
        return [routed]


class Nested:
    @staticmethod
    @hookimpl
    def portal_blueprints() -> list[Blueprint]:
        return [nested]


class Ruled:
    @staticmethod
    @hookimpl
    def portal_blueprints() -> list[Blueprint]:
        return [ruled]


class Classy:
    @staticmethod
    @hookimpl
    def portal_blueprints() -> list[Blueprint]:
        return [classy]
