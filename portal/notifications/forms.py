"""The email preferences form: one checkbox per kind of notification on offer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField
from wtforms.validators import ValidationError


class EmailPreferencesForm(FlaskForm):
    """The kinds a person wants by email; the kinds offered are the ones declared right now."""

    emailed_kinds = SelectMultipleField(_l("Also send me an email about"), validate_choice=False)

    def __init__(self, kinds: list[str], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.emailed_kinds.choices = [SelectChoice(kind) for kind in kinds]

    def validate_emailed_kinds(self, field: SelectMultipleField) -> None:
        """A kind no longer on offer (its plugin was switched off meanwhile) means a stale page."""
        offered = {choice.value for choice in field.choices}
        if not set(field.data or []) <= offered:
            raise ValidationError(
                _l("The choices on offer changed while the page was open. Check the boxes again and save.")
            )
