"""The staff's survey pages at /staff/surveys: the list, the builder, publishing, results and the export.

Building goes through ``building``, figures through ``results`` and the CSV through ``export``;
each view commits its own change.
"""

from __future__ import annotations

from flask import Response as FlaskResponse
from flask import abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from portal.plugin import (
    agent,
    csv_lines,
    db,
    edit_translations,
    is_htmx_request,
    segment_by_key,
    store_translations,
)

from . import building, export, invitations, results
from .blueprint import staff_bp
from .forms import (
    KIND_LABELS,
    ActionForm,
    DateFilter,
    NewSurveyForm,
    QuestionForm,
    SurveyForm,
    audience_choices,
    question_form,
    settings_form,
    translated_choices_match,
)
from .models import CHOICE_KINDS, TEXT_KINDS, Question, Survey

SEGMENT_KEY_MAX = 200


def _staff_survey(survey_id: int) -> Survey:
    """The survey, or 404: staff may open every one."""
    return db.get_or_404(Survey, survey_id)


@staff_bp.route("/")
@agent
def staff_index() -> str:
    """Every survey, newest first, with how many responses each has had."""
    page = building.survey_list(request.args.get("before"))
    return render_template(
        "surveys/staff_index.html",
        surveys=page.items,
        next_before=page.next_cursor,
        counts=building.submitted_counts(page.items),
        form=NewSurveyForm(),
    )


@staff_bp.route("/new", methods=["POST"])
@agent
def staff_new() -> WerkzeugResponse:
    """Make a draft survey from a template and open it in the builder."""
    form = NewSurveyForm()
    if not form.validate_on_submit():
        flash(_("Please choose a template."), "error")
        return redirect(url_for("surveys_staff.staff_index"))
    survey = building.create_from_template(form.template.data, form.title.data or None)
    db.session.commit()
    return redirect(url_for("surveys_staff.edit", survey_id=survey.id))


@staff_bp.route("/<int:survey_id>/", methods=["GET", "POST"])
@agent
def edit(survey_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    """The builder: the survey's settings, and its questions below them."""
    survey = _staff_survey(survey_id)
    form = settings_form(survey)
    if request.method == "POST":
        if form.validate_on_submit():
            form.apply_to(survey)
            store_translations(form, survey)
            if survey.status == "published":
                invitations.invite_audience(survey)
            db.session.commit()
            flash(_("Survey saved."), "success")
            return redirect(url_for("surveys_staff.edit", survey_id=survey.id))
        return _edit_page(survey, form, question_form()(formdata=None)), 422
    return _edit_page(survey, form, question_form()(formdata=None))


def _edit_page(survey: Survey, form: SurveyForm, question_form: QuestionForm) -> str:
    return render_template(
        "surveys/staff_edit.html",
        survey=survey,
        form=form,
        question_form=question_form,
        questions=building.questions_of(survey.id),
        kind_labels=KIND_LABELS,
        action=ActionForm(),
    )


@staff_bp.route("/<int:survey_id>/questions", methods=["POST"])
@agent
def add_question(survey_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    """Add a question at the end of a draft survey."""
    survey = _staff_survey(survey_id)
    new_question = question_form()()
    if survey.status != "draft":
        flash(_("Questions can only be changed while the survey is a draft."), "error")
        return redirect(url_for("surveys_staff.edit", survey_id=survey.id))
    if new_question.validate_on_submit():
        question = building.add_question(
            survey,
            kind=new_question.kind.data,
            text=new_question.text.data,
            help=new_question.help.data or "",
            required=new_question.required.data,
            options="\n".join(new_question.option_lines()),
            scale_max=new_question.scale_max.data or 5,
        )
        store_translations(new_question, question)
        db.session.commit()
        return redirect(url_for("surveys_staff.edit", survey_id=survey.id))
    settings = settings_form(survey)
    return _edit_page(survey, settings, new_question), 422


@staff_bp.route("/<int:survey_id>/questions/<int:question_id>/translations", methods=["GET", "POST"])
@agent
def question_translations(survey_id: int, question_id: int) -> str | tuple[str, int] | WerkzeugResponse:
    """A question's words in each further language; open even once published, as no answer changes."""
    survey = _staff_survey(survey_id)
    question = db.session.get(Question, question_id)
    if question is None or question.survey_id != survey.id:
        abort(404)
    choices = question.kind in CHOICE_KINDS
    fields = ("text",) + (("help",) if question.help else ()) + (("options",) if choices else ())
    return edit_translations(
        question,
        QuestionForm,
        fields,
        title=_("Translations: %(question)s", question=question.text),
        back=url_for("surveys_staff.edit", survey_id=survey.id),
        check=lambda form: translated_choices_match(form, len(question.option_list)),
    )


@staff_bp.route("/<int:survey_id>/questions/<int:question_id>/<any(up,down,delete):change>", methods=["POST"])
@agent
def change_question(survey_id: int, question_id: int, change: str) -> WerkzeugResponse:
    """Move a draft survey's question up or down, or delete it."""
    survey = _staff_survey(survey_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    questions = building.questions_of(survey.id)
    index = next((i for i, q in enumerate(questions) if q.id == question_id), None)
    if index is None:
        abort(404)
    if survey.status != "draft":
        flash(_("Questions can only be changed while the survey is a draft."), "error")
        return redirect(url_for("surveys_staff.edit", survey_id=survey.id))
    building.change_question(questions, index, change)
    db.session.commit()
    return redirect(url_for("surveys_staff.edit", survey_id=survey.id))


@staff_bp.route("/<int:survey_id>/<any(publish,close):change>", methods=["POST"])
@agent
def change_status(survey_id: int, change: str) -> WerkzeugResponse:
    """Publish a survey (which invites its audience) or close it."""
    survey = _staff_survey(survey_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if change == "publish":
        if not building.questions_of(survey.id):
            flash(_("Add a question before publishing."), "error")
            return redirect(url_for("surveys_staff.edit", survey_id=survey.id))
        invited = building.publish(survey)
        flash(_("Published. Invitations queued: %(count)d.", count=invited), "success")
    else:
        building.close(survey)
        flash(_("Closed. Nobody can answer it any more."), "success")
    db.session.commit()
    return redirect(url_for("surveys_staff.edit", survey_id=survey.id))


@staff_bp.route("/<int:survey_id>/results", endpoint="results")
@agent
def results_page(survey_id: int) -> str | tuple[str, int]:
    """The survey's figures for a period and (unless anonymous) a segment; a bad date is said, not guessed."""
    survey = _staff_survey(survey_id)
    dates = DateFilter(request.args.get("start") or "", request.args.get("end") or "")
    segment = (request.args.get("segment") or "")[:SEGMENT_KEY_MAX] or None
    if segment and segment_by_key(segment) is None:
        segment = None
    page = render_template(
        "surveys/staff_results.html",
        survey=survey,
        data=None if dates.errors else results.results(survey, dates.start, dates.end, segment),
        dates=dates,
        segment=segment,
        segments=[] if survey.anonymous else audience_choices()[1:],
        text_kinds=TEXT_KINDS,
    )
    return (page, 400) if dates.errors else page


@staff_bp.route("/<int:survey_id>/questions/<int:question_id>/answers")
@agent
def text_answers(survey_id: int, question_id: int) -> str:
    """The text answers to one question, a page at a time (htmx loads the next in place)."""
    survey = _staff_survey(survey_id)
    question = results.text_question(survey, question_id)
    if question is None:
        abort(404)
    page = results.text_answers(survey, question.id, request.args.get("before"))
    template = "surveys/_text_answers.html" if is_htmx_request() else "surveys/staff_text_answers.html"
    return render_template(
        template, survey=survey, question=question, rows=page.items, next_before=page.next_cursor
    )


@staff_bp.route("/<int:survey_id>/export.csv", endpoint="export")
@agent
def export_csv(survey_id: int) -> FlaskResponse:
    """Every submitted response as a CSV row, every cell guarded against spreadsheet formulas."""
    survey = _staff_survey(survey_id)
    rows = export.export_rows(survey, building.questions_of(survey.id))
    return FlaskResponse(
        stream_with_context(csv_lines(rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="survey-{survey.id}.csv"'},
    )
