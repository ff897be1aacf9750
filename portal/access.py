"""Who may reach a view. Every view carries exactly one of these declarations; a test enforces it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, request
from flask_login import current_user

from portal.extensions import login_manager

View = TypeVar("View", bound=Callable[..., Any])

PUBLIC, CUSTOMER, AGENT, ADMIN = "public", "customer", "agent", "admin"
ROLES = ("customer", "agent", "admin")
STAFF_ROLES = frozenset({"agent", "admin"})
ACCESS_ATTRIBUTE = "portal_access"


def declared_access(view: Callable[..., Any]) -> str | None:
    """The access level a view declared, or ``None`` when its author forgot to declare one."""
    return getattr(view, ACCESS_ATTRIBUTE, None)


def _declare(level: str, allowed: Callable[[Any], bool] | None) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if allowed is not None and request.method != "OPTIONS":
                if not current_user.is_authenticated:
                    return login_manager.unauthorized()
                if not allowed(current_user):
                    abort(403)
            return view(*args, **kwargs)

        setattr(guarded, ACCESS_ATTRIBUTE, level)
        return guarded  # type: ignore[return-value]

    return decorate


public = _declare(PUBLIC, None)
public.__doc__ = "Anyone may open this view, signed in or not."
customer = _declare(CUSTOMER, lambda user: True)
customer.__doc__ = "Any signed-in person; the view must still scope its data to them."
agent = _declare(AGENT, lambda user: user.role in STAFF_ROLES)
agent.__doc__ = "Staff only: agents and administrators."
admin = _declare(ADMIN, lambda user: user.role == "admin")
admin.__doc__ = "Administrators only."
