"""A member of staff sets a customer's stage by hand, with a reason, or hands it back to the rules.

Staff know things the events cannot show (a phone call, a contract being renegotiated). An
override holds until it is released; the risk flags stay visible meanwhile, since they are facts.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import update

from portal.plugin import User, db, rows_matched, utcnow

from . import events
from .models import Profile, StageChange
from .refresh import assess_customers, rules_stage
from .settings import thresholds


class OverrideError(ValueError):
    """The stage cannot be set; the message says why, for the form."""


def override_stage(customer_id: int, stage: str, reason: str, actor: User) -> None:
    """Put the customer in ``stage`` until released, recording who and why; the caller commits.

    A stage staff set already is left as it is (a second click changes nothing, records nothing).
    """
    profile = _profile(customer_id)
    if profile.stage_overridden and profile.stage == stage:
        raise OverrideError(_("Staff have set this customer at that stage already."))
    _move(profile, stage, reason, actor, overridden=True)


def release_override(customer_id: int, reason: str, actor: User) -> None:
    """Let the rules place the customer again, from now; the caller commits."""
    profile = _profile(customer_id)
    if not profile.stage_overridden:
        return
    now = utcnow()
    stage = rules_stage(customer_id, thresholds(), now)
    _move(profile, stage or profile.stage, reason, actor, overridden=False)
    assess_customers([customer_id], thresholds(), now)


def _move(profile: Profile, stage: str, reason: str, actor: User, overridden: bool) -> None:
    """Set the stage and the override flag in one conditional UPDATE from what the form was based on.

    Of two members of staff sending the form at once (or one clicking twice), one changes the row;
    the other is refused, so the history and ``insights.stage_changed`` record each move once.
    """
    now = utcnow()
    old, was_overridden = profile.stage, profile.stage_overridden
    moved = rows_matched(
        update(Profile)
        .where(
            Profile.customer_id == profile.customer_id,
            Profile.stage == old,
            Profile.stage_overridden.is_(was_overridden),
        )
        .values(
            stage=stage,
            stage_overridden=overridden,
            stage_since=now if old != stage else Profile.stage_since,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire(profile)
    if not moved:
        raise OverrideError(_("Someone changed this customer's stage a moment ago; look again."))
    db.session.add(
        StageChange(
            customer_id=profile.customer_id,
            old_stage=old,
            new_stage=stage,
            actor_id=actor.id,
            reason=reason,
            created_at=now,
        )
    )
    if old != stage:
        events.stage_changed(profile.customer_id, old, stage, actor_id=actor.id)


def _profile(customer_id: int) -> Profile:
    """The customer's profile, made now if the refresh has not reached them yet."""
    profile = db.session.get(Profile, customer_id)
    if profile is None:
        assess_customers([customer_id], thresholds(), utcnow())
        profile = db.session.get(Profile, customer_id)
    if profile is None:
        raise OverrideError(_("Only a customer's stage can be set."))
    return profile
