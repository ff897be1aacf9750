"""Spreadsheet exports: no cell a customer or staff member wrote can run as a formula."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from plugins.surveys import answering, building, library
from plugins.surveys.models import Question, Survey
from portal.database import db
from portal.plugin import csv_lines, spreadsheet_safe
from portal.testing import TEST_PASSWORD, create_user, log_in

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_text_starting_like_a_formula_is_kept_as_text(start):
    assert spreadsheet_safe(start + "SUM(A1:A9)") == "'" + start + "SUM(A1:A9)"


def test_ordinary_text_and_numbers_written_as_numbers_are_unchanged():
    assert spreadsheet_safe("Fast and friendly") == "Fast and friendly"
    assert spreadsheet_safe("") == ""
    assert spreadsheet_safe(None) == ""
    assert spreadsheet_safe(-3) == -3 and spreadsheet_safe(2.5) == 2.5
    assert spreadsheet_safe("-3") == "'-3", "text that looks like a number is still text a person typed"


def test_csv_lines_guard_every_cell_and_read_back_exactly():
    rows = [["=1+2", 7, "plain"], ["@cmd", -1, "line\nbreak"]]
    text = "".join(csv_lines(rows))
    assert list(csv.reader(io.StringIO(text))) == [["'=1+2", "7", "plain"], ["'@cmd", "-1", "line\nbreak"]]


def test_no_csv_is_written_without_the_guard():
    # Every export goes through portal.spreadsheets: nothing else in the portal writes CSV itself.
    writers = [
        path.relative_to(ROOT).as_posix()
        for folder in ("portal", "plugins")
        for path in (ROOT / folder).rglob("*.py")
        if "csv.writer" in path.read_text(encoding="utf-8")
        or "csv.DictWriter" in path.read_text(encoding="utf-8")
    ]
    assert writers == ["portal/spreadsheets.py"]


@pytest.mark.plugins("surveys")
def test_survey_export_guards_the_email_answers_and_question_texts(app):
    with app.test_request_context():
        survey, questions = library.build("nps", None)
        survey.status = "published"
        survey.audience_key = "all-customers"
        db.session.add(survey)
        db.session.flush()
        for question in questions:
            question.survey_id = survey.id
            db.session.add(question)
        db.session.add(
            Question(survey_id=survey.id, position=2, kind="short_text", text="+Branch", required=False)
        )
        db.session.commit()
        survey_id = survey.id
        score, reason, branch = db.session.scalars(
            select(Question.id).where(Question.survey_id == survey_id).order_by(Question.position)
        ).all()
    attacker = create_user(app, "customer", email="=cmd|'/Ccalc'!a0@example.com")
    with app.test_request_context():
        survey = db.session.get(Survey, survey_id)
        response = answering.get_or_start_response(survey, attacker.id)
        typed = {f"q{score}": ["0"], f"q{reason}": ["-2+3"], f"q{branch}": ["@SUM(1)"]}
        assert answering.save_answers(response, building.questions_of(survey_id), typed) == {}
        assert answering.submit(survey, response, attacker.id)
        db.session.commit()

    staff = app.test_client()
    log_in(staff, create_user(app, "agent").email, TEST_PASSWORD)
    export = staff.get(f"/staff/surveys/{survey_id}/export.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert export.headers["Cache-Control"] == "private, no-store"
    head, row = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert head[-1] == "'+Branch"
    assert row[2] == "'=cmd|'/ccalc'!a0@example.com"  # kept in the one spelling sign-in looks up
    assert row[-3:] == ["0", "'-2+3", "'@SUM(1)"]
    assert row[0].isdigit() and row[1] == str(attacker.id)
    for cell in head + row:
        assert not cell.startswith(FORMULA_STARTS), cell
