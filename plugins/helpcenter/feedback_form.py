"""The "Did this help?" form under every article."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length

from .models import COMMENT_MAX


class FeedbackForm(FlaskForm):
    """Yes or no, and for a signed-in reader a comment the article's author reads."""

    helpful = RadioField(
        _l("Did this help?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        validators=[InputRequired(message=_l("Choose Yes or No."))],
    )
    comment = TextAreaField(
        _l("What were you looking for? (optional)"),
        validators=[
            Length(
                max=COMMENT_MAX,
                message=_l("Keep the comment to %(max)d characters or fewer.", max=COMMENT_MAX),
            )
        ],
    )
