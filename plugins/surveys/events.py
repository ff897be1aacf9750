"""The events the surveys plugin emits, declared as types. docs/events.md lists them.

For an ANONYMOUS survey ``surveys.completed`` carries no customer (``customer_id`` is ``None`` in the
payload and on the event), so nobody can link an answer to a person through events either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flask import url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.plugin import DomainEvent, emit, sentence


class _SurveyEvent(DomainEvent):
    """The events about one survey, which all link to the survey's results."""

    survey_id: int

    def link(self) -> str | None:
        return url_for("surveys_staff.results", survey_id=self.survey_id)


@dataclass(frozen=True)
class SurveyInvited(_SurveyEvent):
    """A customer was sent an invitation to answer a survey."""

    name: ClassVar[str] = "surveys.invited"
    label: ClassVar[LazyString] = _l("A customer was invited to a survey")
    survey_id: int
    customer_id: int

    def describe(self) -> Markup:
        return sentence(_("Was invited to answer survey #%(survey)s."), survey=self.survey_id)


@dataclass(frozen=True)
class SurveyCompleted(_SurveyEvent):
    """A response to a survey was submitted, once per response; no customer for an anonymous survey."""

    name: ClassVar[str] = "surveys.completed"
    label: ClassVar[LazyString] = _l("A customer completed a survey")
    # An anonymous survey's answer names no customer: the event is left out of feeds (its time would tell).
    anonymous_without_customer: ClassVar[bool] = True
    survey_id: int
    response_id: int
    customer_id: int | None = None
    # The answer (0 to 10) to the survey's first NPS question, so others can follow the NPS without
    # reading this plugin's tables; None when the survey asks none (and on events stored before it).
    nps_score: int | None = None

    @property
    def fact(self) -> str:
        return f"completed:{self.response_id}"

    def describe(self) -> Markup:
        return sentence(_("Answered survey #%(survey)s."), survey=self.survey_id)


EVENT_TYPES: list[type[DomainEvent]] = [SurveyInvited, SurveyCompleted]


def invited(survey_id: int, customer_id: int) -> None:
    """Announce an invitation sent to a customer."""
    emit(SurveyInvited(survey_id=survey_id, customer_id=customer_id), customer_id=customer_id)


def completed(
    survey_id: int, response_id: int, customer_id: int, anonymous: bool, nps_score: int | None = None
) -> None:
    """Announce a submitted response with its NPS answer; for an anonymous survey, without the customer."""
    if anonymous:
        emit(SurveyCompleted(survey_id=survey_id, response_id=response_id, nps_score=nps_score))
    else:
        emit(
            SurveyCompleted(
                survey_id=survey_id, response_id=response_id, customer_id=customer_id, nps_score=nps_score
            ),
            customer_id=customer_id,
        )
