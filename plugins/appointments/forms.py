"""The staff form that offers a slot (buttons use ``portal.plugin.ButtonForm``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.plugin import (
    CalendarDateTimeField,
    LocalizedIntegerField,
    User,
    from_user_zone,
    user_now,
    utcnow,
)

from .models import CAPACITY_MAX, LOCATION_MAX, TITLE_MAX
from .service import NewSlot

DURATION_MAX_MINUTES = 12 * 60
AHEAD_MAX = timedelta(days=2 * 366)


class SlotForm(FlaskForm):
    """A slot as staff type it; the start is read on the agent's own wall clock (the form names the zone)."""

    title = StringField(_l("What the appointment is for"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    location = StringField(_l("Where"), validators=[Length(max=LOCATION_MAX)])
    starts_at = CalendarDateTimeField(
        _l("Starts at"),
        validators=[InputRequired(message=_l("Enter the date and time it starts."))],
    )
    minutes = LocalizedIntegerField(
        _l("Length in minutes"),
        default=30,
        validators=[
            InputRequired(message=_l("Enter a whole number of minutes, like 30.")),
            NumberRange(min=5, max=DURATION_MAX_MINUTES, message=_l("Use 5 to 720 minutes.")),
        ],
    )
    capacity = LocalizedIntegerField(
        _l("Places"),
        default=1,
        validators=[
            InputRequired(message=_l("Enter how many customers fit, like 1.")),
            NumberRange(min=1, max=CAPACITY_MAX, message=_l("Use 1 to 500 places.")),
        ],
    )

    @staticmethod
    def suggested_start(author: User) -> datetime:
        """Tomorrow at 09:00 on the agent's clock: a real time to adjust rather than an empty box."""
        tomorrow = user_now(author) + timedelta(days=1)
        return tomorrow.replace(hour=9, minute=0, second=0, microsecond=0, tzinfo=None)

    def new_slot(self, author: User) -> NewSlot | None:
        """The slot in UTC, or ``None`` with the problem marked on the start field."""
        local = self.starts_at.data
        if local is None:  # InputRequired has said so already
            return None
        now = utcnow()
        if not now.year - 1 <= local.year <= now.year + 3:
            self.starts_at.errors = [_l("Offer appointments at most two years ahead.")]
            return None
        starts = from_user_zone(local, author)
        if starts is None:
            self.starts_at.errors = [
                _l("That time does not exist in your time zone (the clocks change then); choose another.")
            ]
            return None
        if starts <= now:
            self.starts_at.errors = [_l("Choose a time in the future.")]
            return None
        if starts > now + AHEAD_MAX:
            self.starts_at.errors = [_l("Offer appointments at most two years ahead.")]
            return None
        return NewSlot(
            title=self.title.data.strip(),
            location=(self.location.data or "").strip(),
            starts_at=starts,
            ends_at=starts + timedelta(minutes=self.minutes.data),
            capacity=self.capacity.data,
        )
