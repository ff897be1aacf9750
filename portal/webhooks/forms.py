"""The webhook form: where to send, a note for people, and the events to send there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.clean_input import stripped
from portal.webhooks.destinations import DestinationRefusedError, resolve
from portal.webhooks.models import DESCRIPTION_MAX, URL_MAX
from portal.webhooks.subscriptions import SubscribableEvent


class WebhookForm(FlaskForm):
    """A webhook as an administrator writes it; the address is checked as a delivery would check it."""

    url = StringField(
        _l("Receiver address"),
        validators=[
            DataRequired(_l("Enter the address that receives the events, starting with https://.")),
            Length(max=URL_MAX, message=_l("An address has at most %(max)d characters.")),
        ],
        filters=[stripped],
        render_kw={"maxlength": URL_MAX, "dir": "ltr", "inputmode": "url", "autocomplete": "off"},
    )
    description = StringField(
        _l("Description"),
        validators=[Length(max=DESCRIPTION_MAX, message=_l("A description has at most %(max)d characters."))],
        filters=[stripped],
        render_kw={"maxlength": DESCRIPTION_MAX},
    )
    events = SelectMultipleField(_l("Events to send"), validate_choice=False)

    def __init__(self, offered: list[SubscribableEvent], kept: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.offered = offered
        # Events a webhook already has whose plugin is switched off now: kept, though not offered.
        self.kept = [name for name in kept if name not in {event.name for event in offered}]
        self.events.choices = [SelectChoice(event.name) for event in offered]

    def validate_url(self, field: StringField) -> None:
        """Refuse, with the reason, an address a delivery would refuse: better now than in the log."""
        try:
            resolve(field.data or "")
        except DestinationRefusedError as refused:
            raise ValidationError(str(refused)) from refused

    def validate_events(self, field: SelectMultipleField) -> None:
        """At least one event, each one on offer now (a plugin switched off meanwhile means a stale page)."""
        chosen = set(field.data or [])
        if not chosen:
            raise ValidationError(_l("Choose at least one event to send."))
        if not chosen <= {event.name for event in self.offered}:
            raise ValidationError(
                _l("The events on offer changed while the page was open. Check the boxes again and save.")
            )

    def chosen_events(self) -> list[str]:
        """The events ticked, with those kept for switched-off plugins."""
        return sorted(set(self.events.data or []) | set(self.kept))
