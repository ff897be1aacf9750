"""The form that makes an integration: what to call it and whose access it acts with."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length

from portal.accounts.models import NAME_MAX
from portal.clean_input import stripped


class IntegrationForm(FlaskForm):
    """A name customers may see on replies the integration stores, and the access it acts with."""

    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Give the integration a name, such as the system that will use it.")),
            Length(max=NAME_MAX, message=_l("A name has at most %(max)d characters.")),
        ],
        filters=[stripped],
        render_kw={"maxlength": NAME_MAX, "autocomplete": "off"},
    )
    access = RadioField(
        _l("Acts with the access of"),
        choices=[
            SelectChoice("agent", _l("An agent: customers, tickets and the plugins' staff work")),
            SelectChoice("admin", _l("An administrator: also webhooks")),
        ],
        default="agent",
    )
