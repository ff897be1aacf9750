"""The events the core emits (``core.*``), declared the way a plugin declares its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.event_types import DomainEvent
from portal.sentences import sentence


@dataclass(frozen=True)
class UserRegistered(DomainEvent):
    """Someone created an account with the sign-up form; the event's ``customer_id`` is the new account."""

    name: ClassVar[str] = "core.registered"
    label: ClassVar[LazyString] = _l("A customer registered")
    user_id: int

    @property
    def fact(self) -> str:
        return f"registered:{self.user_id}"

    def describe(self) -> Markup:
        return sentence(_("Created an account with the sign-up form."))


@dataclass(frozen=True)
class EmailVerified(DomainEvent):
    """An account confirmed its email address for the first time, with the link from the sign-up mail."""

    name: ClassVar[str] = "core.email_verified"
    label: ClassVar[LazyString] = _l("A customer confirmed their email address")
    user_id: int

    @property
    def fact(self) -> str:
        return f"verified:{self.user_id}"

    def describe(self) -> Markup:
        return sentence(_("Confirmed their email address."))


CORE_EVENTS: tuple[type[DomainEvent], ...] = (UserRegistered, EmailVerified)
