"""What the insights plugin adds to the core's pages: the 360° panel, staff links, segments, schedules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.plugin import NavItem, Panel, ScheduledTask, Segment, User, db

from . import grading, refresh
from .forms import OverrideForm, ReleaseForm
from .models import Profile, StageChange
from .rules import GRADES, STAGE_LABELS, STAGES, describe_reason

HISTORY_ROWS = 5


def staff_links(user: User) -> list[NavItem]:
    """The business dashboard for administrators; the at-risk list, most valuable first, for all staff."""
    items = [NavItem(label=_l("Customers at risk"), endpoint="insights_staff.at_risk", order=16)]
    if user.is_admin:
        items.insert(0, NavItem(label=_l("Insights"), endpoint="insights_dashboard.index", order=15))
    return items


def customer_panels(customer: User) -> list[Panel]:
    """The customer's stage, grade and risk with reasons, the latest stage changes, and the override form."""
    if customer.role != "customer":
        return []
    profile = db.session.get(Profile, customer.id)
    history = db.session.scalars(
        select(StageChange)
        .where(StageChange.customer_id == customer.id)
        .order_by(StageChange.id.desc())
        .limit(HISTORY_ROWS)
    ).all()
    return [
        Panel(
            name="insights.relationship",
            title=_l("Relationship"),
            template="insights/panel.html",
            context={
                "customer_id": customer.id,
                "profile": profile,
                "reasons": [describe_reason(reason) for reason in profile.risk_reasons] if profile else [],
                "history": history,
                "stage_labels": STAGE_LABELS,
                "override_form": OverrideForm(formdata=None),
                "release_form": ReleaseForm(formdata=None),
            },
            order=5,
        )
    ]


def segments() -> list[Segment]:
    """``insights.stage:<stage>``, ``insights.grade:<A|B|C>`` and ``insights.at_risk``, for targeting."""

    def in_stage(stage: str):
        return lambda: select(Profile.customer_id).where(Profile.stage == stage)

    def in_grade(grade: str):
        return lambda: select(Profile.customer_id).where(Profile.grade == grade)

    return [
        *(
            Segment(
                key=f"insights.stage:{stage}",
                label=_l("Stage: %(stage)s", stage=STAGE_LABELS[stage]),
                member_ids=in_stage(stage),
            )
            for stage in STAGES
        ),
        *(
            Segment(
                key=f"insights.grade:{grade}",
                label=_l("Value grade %(grade)s", grade=grade),
                member_ids=in_grade(grade),
            )
            for grade in GRADES
        ),
        Segment(
            key="insights.at_risk",
            label=_l("Customers at risk"),
            member_ids=lambda: select(Profile.customer_id).where(Profile.at_risk.is_(True)),
        ),
    ]


def scheduled_tasks() -> list[ScheduledTask]:
    """Read new events every five minutes; grade everyone once a day."""
    return [
        ScheduledTask(name="insights.refresh", every=timedelta(minutes=5), function=refresh.refresh),
        ScheduledTask(name="insights.grade", every=timedelta(days=1), function=grading.regrade),
    ]


def export_data(user: User) -> dict[str, Any] | None:
    """What the portal concluded about the customer, and why: profiling is personal data too."""
    profile = db.session.get(Profile, user.id)
    if profile is None:
        return None
    changes = db.session.scalars(
        select(StageChange).where(StageChange.customer_id == user.id).order_by(StageChange.id)
    ).all()
    return {
        "stage": profile.stage,
        "stage_set_by_staff": profile.stage_overridden,
        "grade": profile.grade,
        "value": profile.value,
        "at_risk_because": [describe_reason(reason) for reason in profile.risk_reasons],
        "stage_changes": [
            {
                "from": change.old_stage,
                "to": change.new_stage,
                "by_staff": change.actor_id is not None,
                "reason": change.reason,
                "at": change.created_at.isoformat(),
            }
            for change in changes
        ],
    }
