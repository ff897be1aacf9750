"""The decision form: Approve or Decline, with an optional note for the requester."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf, Length

from portal.approvals.models import NOTE_MAX
from portal.clean_input import stripped

DECISIONS = ("approve", "decline")


class DecisionForm(FlaskForm):
    """One request's decision; the buttons send ``decision``, so one form carries both and the note."""

    decision = StringField(validators=[AnyOf(DECISIONS, message=_l("Choose Approve or Decline."))])
    note = TextAreaField(
        _l("Note for the requester (optional)"),
        validators=[Length(max=NOTE_MAX, message=_l("A note has at most %(max)d characters."))],
        filters=[stripped],
        render_kw={"maxlength": NOTE_MAX, "rows": 2},
    )
