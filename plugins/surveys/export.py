"""The CSV export of a survey's submitted responses, read a batch at a time so any size streams.

An anonymous survey's export has no identity and no date, and lists responses in the order of
their respondent keys, so neither a column nor the row order says who answered when. Cells are
made safe for spreadsheets by the core's ``csv_lines``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal.plugin import User, db, keyset_page

from .models import Answer, Question, Response, Survey

EXPORT_BATCH = 500


def export_rows(survey: Survey, questions: list[Question]) -> Iterator[list[object]]:
    """The header, then one row per submitted response with each question's answer in a cell."""
    named: list[object] = (
        [] if survey.anonymous else ["response", "customer_id", "customer_email", "submitted"]
    )
    yield named + [q.text for q in questions]
    for batch in _submitted_batches(survey):
        answers = _answers_of([row.id for row in batch])
        for row in batch:
            cells: list[object] = [_cell(q, answers.get(row.id, {}).get(q.id, [])) for q in questions]
            if survey.anonymous:
                yield cells
            else:
                yield [
                    row.id,
                    row.customer_id or "",
                    row.email or "",
                    row.submitted_at.isoformat(),
                    *cells,
                ]


def _submitted_batches(survey: Survey) -> Iterator[list[Any]]:
    """The submitted responses, a batch at a time: by id, or an anonymous survey's by respondent key."""
    query = (
        select(
            Response.id, Response.respondent, Response.submitted_at, User.id.label("customer_id"), User.email
        )
        .outerjoin(User, User.id == Response.customer_id)
        .where(Response.survey_id == survey.id, Response.submitted_at.is_not(None))
    )
    order = Response.respondent if survey.anonymous else Response.id
    cursor = None
    while True:
        page = keyset_page(query, [order], cursor=cursor, size=EXPORT_BATCH, scalars=False)
        if page.items:
            yield page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _answers_of(response_ids: list[int]) -> dict[int, dict[int, list[str]]]:
    answers: dict[int, dict[int, list[str]]] = {}
    for response_id, question_id, value, text in db.session.execute(
        select(Answer.response_id, Answer.question_id, Answer.value, Answer.text)
        .where(Answer.response_id.in_(response_ids))
        .order_by(Answer.id)
    ):
        answers.setdefault(response_id, {}).setdefault(question_id, []).append(
            text if text is not None else str(value)
        )
    return answers


def _cell(question: Question, values: list[str]) -> str:
    if question.kind in ("single", "multiple"):
        options = question.option_list
        values = [options[int(v)] if v.isdigit() and int(v) < len(options) else v for v in values]
    elif question.kind == "yesno":
        values = [_("Yes") if v == "1" else _("No") for v in values]
    return "; ".join(values)
