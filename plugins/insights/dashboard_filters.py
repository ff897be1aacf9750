"""The dashboard's filters: an organization, a segment and a period, chosen in the URL (a GET form).

Both filters narrow the customers every figure counts, as a sub-select of their ids the figures'
queries use in ``IN``: an organization through the core's ``organization:<id>`` segment (its
memberships), any other segment through its own ``member_ids``. A choice that names nothing gets a
message on the form and the page answers 400, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import ColumnElement
from wtforms import SelectChoice, SelectField
from wtforms.validators import Length, ValidationError

from portal.plugin import all_segments, segment_by_key, segment_member_ids

from .dashboard_periods import PERIOD_CHOICES, WEEKS

ORGANIZATION_PREFIX = "organization:"
KEY_MAX = 200
CORE_KEYS = ("all-customers",)


@dataclass(frozen=True)
class Filters:
    """The chosen organization (its segment key) and segment, and the period; empty keys mean all."""

    organization: str = ""
    segment: str = ""
    period: str = WEEKS

    @property
    def keys(self) -> tuple[str, ...]:
        """The segment keys in force."""
        return tuple(key for key in (self.organization, self.segment) if key)

    def members(self, column: Any) -> list[ColumnElement[bool]]:
        """Conditions keeping ``column`` (a customer id) to the chosen customers; none when unfiltered."""
        return [column.in_(segment_member_ids(key)) for key in self.keys]

    def url_args(self) -> dict[str, str]:
        """The filters as query arguments, for links that keep them (the defaults left out)."""
        args = {
            "organization": self.organization.removeprefix(ORGANIZATION_PREFIX),
            "segment": self.segment,
        }
        if self.period != WEEKS:
            args["period"] = self.period
        return {name: value for name, value in args.items() if value}


class FilterForm(FlaskForm):
    """Organization, segment and period, sent with GET so a filtered dashboard can be bookmarked."""

    class Meta:
        csrf = False  # reading figures changes nothing

    organization = SelectField(
        _l("Organization"), choices=[], validate_choice=False, validators=[Length(max=20)]
    )
    segment = SelectField(_l("Segment"), choices=[], validate_choice=False, validators=[Length(max=KEY_MAX)])
    period = SelectField(
        _l("Period"),
        choices=[SelectChoice(key, label) for key, label in PERIOD_CHOICES.items()],
        default=WEEKS,
        validate_choice=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organizations, others = [], []
        for segment in all_segments():
            if segment.key.startswith(ORGANIZATION_PREFIX):
                organizations.append(
                    SelectChoice(segment.key.removeprefix(ORGANIZATION_PREFIX), segment.label)
                )
            elif segment.key not in CORE_KEYS:
                others.append(SelectChoice(segment.key, segment.label))
        self.organization.choices = [SelectChoice("", _l("All organizations")), *organizations]
        self.segment.choices = [SelectChoice("", _l("All customers")), *others]

    def validate_organization(self, field: SelectField) -> None:
        if field.data and segment_by_key(ORGANIZATION_PREFIX + str(field.data)) is None:
            raise ValidationError(_("There is no such organization; choose one from the list."))

    def validate_segment(self, field: SelectField) -> None:
        if field.data and (field.data.startswith(ORGANIZATION_PREFIX) or segment_by_key(field.data) is None):
            raise ValidationError(_("There is no such segment; choose one from the list."))

    def validate_period(self, field: SelectField) -> None:
        if field.data not in PERIOD_CHOICES:
            raise ValidationError(_("Choose a period from the list."))

    def filters(self) -> Filters:
        """The validated choices; call after ``validate()`` succeeded."""
        organization = self.organization.data or ""
        return Filters(
            organization=ORGANIZATION_PREFIX + organization if organization else "",
            segment=self.segment.data or "",
            period=self.period.data or WEEKS,
        )
