"""The forms on the relationship panel: set the stage by hand with a reason, or hand it back."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.plugin import stripped

from .models import REASON_MAX
from .rules import STAGE_LABELS, STAGES


class OverrideForm(FlaskForm):
    """A stage and the reason for it, which the history keeps."""

    stage = SelectField(_l("Stage"), choices=[SelectChoice(stage, STAGE_LABELS[stage]) for stage in STAGES])
    reason = StringField(
        _l("Why"),
        validators=[
            DataRequired(_l("Say why, so colleagues understand the change.")),
            Length(max=REASON_MAX, message=_l("A reason has at most %(max)d characters.")),
        ],
        filters=[stripped],
        render_kw={"maxlength": REASON_MAX},
    )


class ReleaseForm(FlaskForm):
    """Handing the stage back to the rules; a reason is welcome but not required."""

    reason = StringField(
        _l("Why (optional)"),
        validators=[Length(max=REASON_MAX, message=_l("A reason has at most %(max)d characters."))],
        filters=[stripped],
        render_kw={"maxlength": REASON_MAX},
    )
