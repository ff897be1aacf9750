"""The events the surveys plugin emits, and their payloads.

- ``surveys.invited`` {survey_id, customer_id}: a customer was sent an invitation (customer_id set).
- ``surveys.completed`` {survey_id, customer_id}: a customer submitted their response. For an
  ANONYMOUS survey the payload is just {survey_id} and the event's customer_id is None, so nobody can
  link an answer to a person through events either.
"""

from __future__ import annotations

from portal.plugin import emit

INVITED = "surveys.invited"
COMPLETED = "surveys.completed"


def invited(survey_id: int, customer_id: int) -> None:
    emit(INVITED, {"survey_id": survey_id, "customer_id": customer_id}, customer_id=customer_id)


def completed(survey_id: int, customer_id: int, anonymous: bool) -> None:
    if anonymous:
        emit(COMPLETED, {"survey_id": survey_id})
    else:
        emit(COMPLETED, {"survey_id": survey_id, "customer_id": customer_id}, customer_id=customer_id)
