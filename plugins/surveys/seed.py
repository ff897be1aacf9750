"""Surveys for ``portal seed``: published NPS surveys, invitations and submitted responses.

The benchmark's customer is invited to every seeded survey and has answered none, so their list has
surveys waiting; the responses come from the other customers, keyed as the answering code keys them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from portal.plugin import SeedRun, db

from . import library, respondents
from .models import Answer, Invitation, RespondentSalt, Response

SURVEYS = 12  # more than the customer's list shows on one page
COMMENTS = ("Quick answers, thank you.", "The portal is easy to use.", "Prices went up.")


def seed_responses(run: SeedRun) -> None:
    """``SURVEYS`` published surveys and ``run.counts.survey_responses`` responses, with their answers."""
    rng = run.random("surveys")
    customers = run.customer_ids
    if not customers:
        return
    surveys = []
    for number in range(1, SURVEYS + 1):
        survey, questions = library.build("nps", f"Seeded survey {number}")
        survey.status = "published"
        survey.audience_key = "all-customers"
        db.session.add(survey)
        db.session.flush()
        for question in questions:
            question.survey_id = survey.id
            db.session.add(question)
        db.session.flush()
        surveys.append((survey.id, questions[0].id, questions[1].id))
    db.session.commit()
    invitations = (
        {"survey_id": survey_id, "customer_id": customers[0], "status": "sent", "sent_at": run.started}
        for survey_id, _score, _comment in surveys
    )
    run.insert(Invitation, invitations, len(surveys), "survey invitations")
    answering = customers[1:]
    total = min(run.counts.survey_responses, len(answering) * len(surveys))
    salts = {
        customer_id: f"{rng.getrandbits(256):064x}" for customer_id in answering[: -(-total // len(surveys))]
    }
    run.insert(
        RespondentSalt,
        ({"customer_id": customer_id, "salt": salt} for customer_id, salt in salts.items()),
        len(salts),
        "respondent salts",
    )
    pairs = [(surveys[number % SURVEYS], answering[number // SURVEYS]) for number in range(total)]

    def responses() -> Iterator[dict[str, Any]]:
        for (survey_id, _score, _comment), customer_id in pairs:
            submitted_at = run.moment(rng)
            yield {
                "survey_id": survey_id,
                "respondent": respondents.key_for(survey_id, customer_id, salts[customer_id]),
                "customer_id": customer_id,
                "started_at": submitted_at - timedelta(minutes=3),
                "submitted_at": submitted_at,
            }

    ids = run.insert_returning(Response, Response.id, responses(), total, "survey responses")

    def answers() -> Iterator[dict[str, Any]]:
        for response_id, ((_survey, score_question, comment_question), _customer) in zip(
            ids, pairs, strict=True
        ):
            yield {
                "response_id": response_id,
                "question_id": score_question,
                "value": rng.randrange(11),
                "text": None,
            }
            yield {
                "response_id": response_id,
                "question_id": comment_question,
                "value": None,
                "text": rng.choice(COMMENTS),
            }

    run.insert(Answer, answers(), 2 * total, "survey answers")
