"""The event the insights plugin emits, declared as a type. docs/events.md lists it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flask import url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.plugin import DomainEvent, emit, sentence

from .rules import STAGE_LABELS


@dataclass(frozen=True)
class StageChanged(DomainEvent):
    """A customer moved to another stage of the relationship, by the rules or by a member of staff."""

    name: ClassVar[str] = "insights.stage_changed"
    label: ClassVar[LazyString] = _l("A customer's relationship stage changed")
    customer_id: int
    old_stage: str
    new_stage: str
    by_staff: bool = False

    def describe(self) -> Markup:
        old = STAGE_LABELS.get(self.old_stage, self.old_stage)
        new = STAGE_LABELS.get(self.new_stage, self.new_stage)
        if self.by_staff:
            return sentence(_("Staff moved the relationship from %(old)s to %(new)s."), old=old, new=new)
        return sentence(_("The relationship moved from %(old)s to %(new)s."), old=old, new=new)

    def link(self) -> str | None:
        return url_for("staff_customers.show", user_id=self.customer_id)


EVENT_TYPES: list[type[DomainEvent]] = [StageChanged]


def stage_changed(customer_id: int, old_stage: str, new_stage: str, actor_id: int | None) -> None:
    """Announce a move, in the transaction that made it."""
    emit(
        StageChanged(
            customer_id=customer_id, old_stage=old_stage, new_stage=new_stage, by_staff=actor_id is not None
        ),
        customer_id=customer_id,
        actor_id=actor_id,
    )
