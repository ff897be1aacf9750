"""The "Turn into an article" button under an agent's answer on a ticket: a draft to start from."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from .models import BODY_MAX, TITLE_MAX


def _title(value: str | None) -> str | None:
    """The ticket's subject as a title: a subject longer than a title may be is cut, not refused."""
    return value.strip()[:TITLE_MAX] if isinstance(value, str) else value


class AnswerForm(FlaskForm):
    """The ticket's subject and the answer's text, carried in the page, and the ticket page to return to."""

    title = HiddenField(
        filters=[_title], validators=[DataRequired(_l("The answer needs a subject to become a title."))]
    )
    body = HiddenField(
        validators=[
            DataRequired(_l("This answer has no text to turn into an article.")),
            Length(
                max=BODY_MAX,
                message=_l(
                    "This answer is longer than an article may be (%(max)d characters).", max=BODY_MAX
                ),
            ),
        ]
    )
    back = HiddenField()
