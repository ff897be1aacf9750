"""The events the core emits (``core.*``), declared the way a plugin declares its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from portal.event_types import DomainEvent


@dataclass(frozen=True)
class UserRegistered(DomainEvent):
    """Someone created an account with the sign-up form; the event's ``customer_id`` is the new account."""

    name: ClassVar[str] = "core.registered"
    user_id: int

    @property
    def fact(self) -> str:
        return f"registered:{self.user_id}"


@dataclass(frozen=True)
class EmailVerified(DomainEvent):
    """An account confirmed its email address for the first time, with the link from the sign-up mail."""

    name: ClassVar[str] = "core.email_verified"
    user_id: int

    @property
    def fact(self) -> str:
        return f"verified:{self.user_id}"


CORE_EVENTS: tuple[type[DomainEvent], ...] = (UserRegistered, EmailVerified)
