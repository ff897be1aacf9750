"""The rating question's 1–5 scale, written by its template without a WTForms field per option.

The template writes the five radio inputs itself (binding a field for each cost about half of the
form's rendering on a resolved ticket's page); these tests hold it to the inputs WTForms would write.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask, render_template_string
from werkzeug.datastructures import MultiDict

from plugins.tickets.forms import RateForm

pytestmark = pytest.mark.plugins("tickets")

SCALE = '{% from "tickets/_rating_form.html" import rating_form %}{{ rating_form(form, "/rate", "Send") }}'


def _written_inputs(form: RateForm) -> list[str]:
    return re.findall(r"<input [^>]*type=\"radio\"[^>]*>", render_template_string(SCALE, form=form))


def _wtforms_inputs(form: RateForm) -> list[str]:
    return [str(option()) for option in form.rating]


def test_the_scale_writes_the_inputs_wtforms_writes_with_nothing_chosen(app: Flask) -> None:
    with app.test_request_context():
        form = RateForm(formdata=None)
        written = _written_inputs(form)
        assert written == _wtforms_inputs(form)
        assert len(written) == 5 and not any("checked" in each for each in written)


def test_the_score_chosen_in_the_mail_is_the_one_checked(app: Flask) -> None:
    with app.test_request_context():
        form = RateForm(formdata=None, rating=4)
        written = _written_inputs(form)
        assert written == _wtforms_inputs(form)
        assert [each for each in written if "checked" in each] == [
            '<input checked id="rating-3" name="rating" type="radio" value="4">'
        ]


def test_a_refused_answer_keeps_the_choice_and_says_why(app: Flask) -> None:
    with app.test_request_context(method="POST"):
        form = RateForm(formdata=MultiDict({"rating": "2", "comment": "x" * 5000}))
        assert not form.validate()
        page = render_template_string(SCALE, form=form)
        assert _written_inputs(form) == _wtforms_inputs(form)
        assert 'checked id="rating-1"' in page
        assert 'for="rating-1"' in page and "x" * 5000 in page
