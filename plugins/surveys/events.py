"""The events the surveys plugin emits, declared as types. docs/events.md lists them.

For an ANONYMOUS survey ``surveys.completed`` carries no customer (``customer_id`` is ``None`` in the
payload and on the event), so nobody can link an answer to a person through events either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from portal.plugin import DomainEvent, emit


@dataclass(frozen=True)
class SurveyInvited(DomainEvent):
    """A customer was sent an invitation to answer a survey."""

    name: ClassVar[str] = "surveys.invited"
    survey_id: int
    customer_id: int


@dataclass(frozen=True)
class SurveyCompleted(DomainEvent):
    """A response to a survey was submitted, once per response; no customer for an anonymous survey."""

    name: ClassVar[str] = "surveys.completed"
    survey_id: int
    response_id: int
    customer_id: int | None = None

    @property
    def fact(self) -> str:
        return f"completed:{self.response_id}"


EVENT_TYPES: list[type[DomainEvent]] = [SurveyInvited, SurveyCompleted]


def invited(survey_id: int, customer_id: int) -> None:
    """Announce an invitation sent to a customer."""
    emit(SurveyInvited(survey_id=survey_id, customer_id=customer_id), customer_id=customer_id)


def completed(survey_id: int, response_id: int, customer_id: int, anonymous: bool) -> None:
    """Announce a submitted response; for an anonymous survey, without the customer."""
    if anonymous:
        emit(SurveyCompleted(survey_id=survey_id, response_id=response_id))
    else:
        emit(
            SurveyCompleted(survey_id=survey_id, response_id=response_id, customer_id=customer_id),
            customer_id=customer_id,
        )
