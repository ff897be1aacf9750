"""Surveys for the security tests: one published NPS survey and the ids of its questions."""

from __future__ import annotations

from flask import Flask

from plugins.surveys import library
from portal.database import db


def published_survey(app: Flask, **fields: object) -> tuple[int, list[int]]:
    """An NPS survey (a score and a free-text reason), published; its id and its question ids."""
    with app.test_request_context():
        survey, questions = library.build("nps")
        survey.status = "published"
        for key, value in fields.items():
            setattr(survey, key, value)
        db.session.add(survey)
        db.session.flush()
        for question in questions:
            question.survey_id = survey.id
            db.session.add(question)
        db.session.commit()
        return survey.id, [q.id for q in questions]
