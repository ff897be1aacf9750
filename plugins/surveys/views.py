"""The surveys pages: customers answer at /surveys, staff build and read results at /staff/surveys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask import Response as FlaskResponse
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select, update
from werkzeug.wrappers import Response as WerkzeugResponse

from portal.plugin import (
    User,
    agent,
    csv_lines,
    customer,
    db,
    is_htmx_request,
    keyset_page,
    render_widget,
    segment_by_key,
    utcnow,
)

from . import library, service
from .forms import KIND_LABELS, ActionForm, NewSurveyForm, QuestionForm, SurveyForm, audience_choices
from .models import TEXT_KINDS, Answer, Invitation, Question, Response, Survey

bp = Blueprint(
    "surveys",
    __name__,
    url_prefix="/surveys",
    template_folder="templates",
    static_folder="static",
)
staff_bp = Blueprint("surveys_staff", __name__, url_prefix="/staff/surveys", template_folder="templates")

PAGE = 20
EXPORT_BATCH = 500


# --- customers -------------------------------------------------------------------------------------
@bp.route("/")
@customer
def index() -> str:
    """The surveys waiting for the signed-in customer, and their opt-out."""
    query = (
        select(Invitation, Survey)
        .join(Survey, Survey.id == Invitation.survey_id)
        .where(Invitation.customer_id == current_user.id, Invitation.status == "sent")
    )
    page = keyset_page(
        query,
        [Invitation.id],
        cursor=request.args.get("before"),
        size=PAGE,
        descending=True,
        scalars=False,
    )
    now = utcnow()
    answered = service.answered_anonymously(current_user.id, [s.id for _i, s in page.items if s.anonymous])
    waiting = [
        (inv, survey) for inv, survey in page.items if survey.is_open(now) and survey.id not in answered
    ]
    return render_template(
        "surveys/index.html",
        waiting=waiting,
        next_before=page.next_cursor,
        opted_out=service.opted_out(current_user.id),
        form=ActionForm(),
    )


@bp.route("/widget")
@customer
def widget() -> str:
    """The dashboard tile: how many surveys are waiting for the customer."""
    invited = db.session.execute(
        select(Survey.id, Survey.anonymous)
        .join(Invitation, Invitation.survey_id == Survey.id)
        .where(
            Invitation.customer_id == current_user.id,
            Invitation.status == "sent",
            Survey.status == "published",
        )
    ).all()
    answered = service.answered_anonymously(current_user.id, [sid for sid, anonymous in invited if anonymous])
    waiting = len([sid for sid, _anonymous in invited if sid not in answered])
    return render_widget("surveys/widget.html", title=_("Surveys"), waiting=waiting)


@bp.route("/opt-out", methods=["POST"])
@customer
def opt_out() -> WerkzeugResponse:
    """Stop (or restart) survey invitations for the signed-in customer."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    out = request.form.get("out") == "1"
    service.set_opt_out(current_user.id, out)
    db.session.commit()
    flash(_("We will not send you surveys.") if out else _("We may send you surveys again."), "success")
    return redirect(url_for("surveys.index"))


@bp.route("/invitation/<token>")
@customer
def invitation(token: str) -> WerkzeugResponse:
    """The signed link from the notification and the email: it opens the survey for its own customer."""
    invitation_id = service.invitation_from_token(token)
    found = (
        db.session.scalar(
            select(Invitation.survey_id).where(
                Invitation.id == invitation_id, Invitation.customer_id == current_user.id
            )
        )
        if invitation_id
        else None
    )
    if found is None:
        abort(404)
    return redirect(url_for("surveys.take", survey_id=found))


def _survey_for_customer(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.status == "draft" or not service.may_answer(survey, current_user.id):
        abort(404)
    return survey


def _current_values(response: Response | None, questions: list[Question]) -> dict[int, dict]:
    values: dict[int, dict] = {q.id: {"values": set(), "text": ""} for q in questions}
    if response is not None:
        for question_id, answers in service.saved_answers(response.id).items():
            if question_id in values:
                for answer in answers:
                    if answer.value is not None:
                        values[question_id]["values"].add(str(answer.value))
                    if answer.text:
                        values[question_id]["text"] = answer.text
    return values


@bp.route("/<int:survey_id>/", methods=["GET", "POST"])
@customer
def take(survey_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    """Answer a survey: one question a page or all at once; answers are kept at every step."""
    survey = _survey_for_customer(survey_id)
    if not survey.is_open(utcnow()):
        return render_template("surveys/closed.html", survey=survey), 410
    response = service.find_response(survey, current_user.id)
    if response is not None and response.submitted_at is not None:
        return redirect(url_for("surveys.thanks", survey_id=survey.id))
    questions = service.questions_of(survey.id)
    if not questions:
        abort(404)
    step = max(0, min(request.values.get("step", 0, type=int), len(questions) - 1))
    shown = [questions[step]] if survey.one_per_page else questions
    form = ActionForm()
    errors: dict[int, str] = {}
    raw: dict[int, list[str]] = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        response = service.get_or_start_response(survey, current_user.id)
        if not service.claim_draft(response):
            db.session.rollback()  # another tab sent the answers while this one waited its turn
            return redirect(url_for("surveys.thanks", survey_id=survey.id))
        submitted = {f"q{q.id}": request.form.getlist(f"q{q.id}") for q in shown}
        raw = {q.id: submitted[f"q{q.id}"] for q in shown}
        errors = service.save_answers(response, shown, submitted)
        action = request.form.get("action", "save")
        if not errors and action == "submit":
            missing = service.missing_required(response, questions)
            if not missing:
                # A refused submit keeps nothing this request wrote: the answers sent first stand.
                if service.submit(survey, response, current_user.id):
                    db.session.commit()
                else:
                    db.session.rollback()
                return redirect(url_for("surveys.thanks", survey_id=survey.id))
            for question in missing:
                errors[question.id] = _("Please answer this question.")
            if survey.one_per_page and missing[0] not in shown:
                db.session.commit()
                flash(_("Please answer this question."), "error")
                return redirect(
                    url_for("surveys.take", survey_id=survey.id, step=questions.index(missing[0]))
                )
        db.session.commit()
        if not errors:
            if action == "next":
                return redirect(url_for("surveys.take", survey_id=survey.id, step=step + 1))
            if action == "back":
                return redirect(url_for("surveys.take", survey_id=survey.id, step=max(step - 1, 0)))
            flash(_("Your answers are saved. You can come back to finish later."), "success")
            return redirect(url_for("surveys.take", survey_id=survey.id, step=step))
    values = _current_values(response, shown)
    for question_id, given in raw.items():
        if question_id in errors:
            values[question_id] = {"values": set(given), "text": given[0] if given else ""}
    page = render_template(
        "surveys/take.html",
        survey=survey,
        questions=shown,
        values=values,
        errors=errors,
        step=step,
        total=len(questions),
        form=form,
    )
    return (page, 422) if errors else page


@bp.route("/<int:survey_id>/autosave", methods=["POST"])
@customer
def autosave(survey_id: int) -> tuple[str, int]:
    """htmx sends the form as the customer types, so nothing typed is lost if the page is closed."""
    survey = _survey_for_customer(survey_id)
    if not survey.is_open(utcnow()):
        return render_template("surveys/saved.html", message=_("This survey is closed.")), 410
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    response = service.get_or_start_response(survey, current_user.id)
    if not service.claim_draft(response):
        # The last keystrokes' save often lands just after "Send": nothing went wrong for the reader.
        db.session.rollback()
        return render_template("surveys/saved.html", message=_("Your answers were already sent.")), 200
    questions = service.questions_of(survey.id)
    shown = [q for q in questions if f"q{q.id}" in request.form or str(q.id) in request.form.getlist("shown")]
    errors = service.save_answers(
        response, shown, {f"q{q.id}": request.form.getlist(f"q{q.id}") for q in shown}
    )
    db.session.commit()
    if errors:
        return render_template("surveys/saved.html", message=next(iter(errors.values()))), 422
    return render_template("surveys/saved.html", message=_("Saved.")), 200


@bp.route("/<int:survey_id>/thanks")
@customer
def thanks(survey_id: int) -> str:
    survey = _survey_for_customer(survey_id)
    response = service.find_response(survey, current_user.id)
    if response is None or response.submitted_at is None:
        abort(404)
    return render_template("surveys/thanks.html", survey=survey)


# --- staff ------------------------------------------------------------------------------------------
def _staff_survey(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        abort(404)
    return survey


@staff_bp.route("/")
@agent
def staff_index() -> str:
    page = keyset_page(
        select(Survey), [Survey.id], cursor=request.args.get("before"), size=PAGE, descending=True
    )
    surveys = page.items
    form = NewSurveyForm()
    counts = dict(
        db.session.execute(
            select(Response.survey_id, func.count())
            .where(Response.survey_id.in_([s.id for s in surveys]), Response.submitted_at.is_not(None))
            .group_by(Response.survey_id)
        ).all()
    )
    return render_template(
        "surveys/staff_index.html",
        surveys=surveys,
        next_before=page.next_cursor,
        counts=counts,
        form=form,
    )


@staff_bp.route("/new", methods=["POST"])
@agent
def staff_new() -> WerkzeugResponse:
    form = NewSurveyForm()
    if not form.validate_on_submit():
        flash(_("Please choose a template."), "error")
        return redirect(url_for("surveys_staff.staff_index"))
    survey, questions = library.build(form.template.data, form.title.data or None)
    db.session.add(survey)
    db.session.flush()
    for question in questions:
        question.survey_id = survey.id
        db.session.add(question)
    db.session.commit()
    return redirect(url_for("surveys_staff.edit", survey_id=survey.id))


@staff_bp.route("/<int:survey_id>/", methods=["GET", "POST"])
@agent
def edit(survey_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    survey = _staff_survey(survey_id)
    form = SurveyForm(obj=survey)
    if request.method == "POST":
        if form.validate_on_submit():
            key = form.audience_key.data or None
            if key and segment_by_key(key) is None:
                form.audience_key.errors = [_("Please choose an audience from the list.")]
            elif form.opens_at.data and form.closes_at.data and form.closes_at.data <= form.opens_at.data:
                form.closes_at.errors = [_("The survey must close after it opens.")]
            else:
                survey.title = form.title.data
                survey.intro = form.intro.data or ""
                if survey.status == "draft":
                    survey.anonymous = form.anonymous.data
                survey.one_per_page = form.one_per_page.data
                survey.audience_key = key
                survey.trigger_event = form.trigger_event.data or None
                survey.trigger_delay_hours = form.trigger_delay_hours.data or 0
                survey.wait_days_override = form.wait_days_override.data
                survey.opens_at = form.opens_at.data
                survey.closes_at = form.closes_at.data
                if survey.status == "published":
                    service.invite_audience(survey)
                db.session.commit()
                flash(_("Survey saved."), "success")
                return redirect(url_for("surveys_staff.edit", survey_id=survey.id))
        return _edit_page(survey, form, QuestionForm(formdata=None)), 422
    return _edit_page(survey, form, QuestionForm(formdata=None))


def _edit_page(survey: Survey, form: SurveyForm, question_form: QuestionForm) -> str:
    return render_template(
        "surveys/staff_edit.html",
        survey=survey,
        form=form,
        question_form=question_form,
        questions=service.questions_of(survey.id),
        kind_labels=KIND_LABELS,
        action=ActionForm(),
    )


@staff_bp.route("/<int:survey_id>/questions", methods=["POST"])
@agent
def add_question(survey_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    survey = _staff_survey(survey_id)
    question_form = QuestionForm()
    if survey.status != "draft":
        flash(_("Questions can only be changed while the survey is a draft."), "error")
        return redirect(url_for("surveys_staff.edit", survey_id=survey.id))
    if question_form.validate_on_submit():
        options = "\n".join(
            line.strip() for line in (question_form.options.data or "").splitlines() if line.strip()
        )
        if question_form.kind.data in ("single", "multiple") and len(options.splitlines()) < 2:
            question_form.options.errors = [_("Give at least two choices, one a line.")]
        else:
            position = db.session.scalar(
                select(func.coalesce(func.max(Question.position), -1)).where(Question.survey_id == survey.id)
            )
            db.session.add(
                Question(
                    survey_id=survey.id,
                    position=position + 1,
                    kind=question_form.kind.data,
                    text=question_form.text.data,
                    help=question_form.help.data or "",
                    required=question_form.required.data,
                    options=options,
                    scale_max=question_form.scale_max.data or 5,
                )
            )
            db.session.commit()
            return redirect(url_for("surveys_staff.edit", survey_id=survey.id))
    form = SurveyForm(obj=survey)
    return _edit_page(survey, form, question_form), 422


@staff_bp.route("/<int:survey_id>/questions/<int:question_id>/<any(up,down,delete):change>", methods=["POST"])
@agent
def change_question(survey_id: int, question_id: int, change: str) -> WerkzeugResponse:
    survey = _staff_survey(survey_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    questions = service.questions_of(survey.id)
    index = next((i for i, q in enumerate(questions) if q.id == question_id), None)
    if index is None:
        abort(404)
    if survey.status != "draft":
        flash(_("Questions can only be changed while the survey is a draft."), "error")
        return redirect(url_for("surveys_staff.edit", survey_id=survey.id))
    if change == "delete":
        db.session.delete(questions.pop(index))
    else:
        other = index - 1 if change == "up" else index + 1
        if 0 <= other < len(questions):
            questions[index], questions[other] = questions[other], questions[index]
    for position, question in enumerate(questions):
        question.position = position
    db.session.commit()
    return redirect(url_for("surveys_staff.edit", survey_id=survey.id))


@staff_bp.route("/<int:survey_id>/<any(publish,close):change>", methods=["POST"])
@agent
def change_status(survey_id: int, change: str) -> WerkzeugResponse:
    survey = _staff_survey(survey_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if change == "publish":
        if not service.questions_of(survey.id):
            flash(_("Add a question before publishing."), "error")
            return redirect(url_for("surveys_staff.edit", survey_id=survey.id))
        survey.status = "published"
        db.session.flush()
        invited = service.invite_audience(survey)
        flash(_("Published. Invitations queued: %(count)d.", count=invited), "success")
    else:
        survey.status = "closed"
        db.session.execute(
            update(Invitation)
            .where(Invitation.survey_id == survey.id, Invitation.status == "pending")
            .values(status="skipped")
        )
        flash(_("Closed. Nobody can answer it any more."), "success")
    db.session.commit()
    return redirect(url_for("surveys_staff.edit", survey_id=survey.id))


# Results can be filtered to days in this range: wide enough for any survey, and far from the limits of
# Python's dates (9999-12-31 plus the one day an end date includes would overflow) and the databases'.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)
DATE_TEXT_MAX = 10


class DateFilter:
    """The results page's From and To, as typed, checked: the period to count, or what is wrong."""

    def __init__(self, start: str, end: str) -> None:
        self.typed = {"start": start[:100], "end": end[:100]}
        self.errors: dict[str, str] = {}
        days = {name: self._day(name, text) for name, text in self.typed.items()}
        if not self.errors and days["start"] and days["end"] and days["start"] > days["end"]:
            self.errors["start"] = _("The start date must not be after the end date.")
        self.start = datetime.combine(days["start"], datetime.min.time()) if days["start"] else None
        # The end day is included: count until the start of the day after it.
        self.end = (
            datetime.combine(days["end"] + timedelta(days=1), datetime.min.time()) if days["end"] else None
        )

    def _day(self, name: str, text: str) -> date | None:
        if not text:
            return None
        try:
            day = datetime.strptime(text, "%Y-%m-%d").date() if len(text) == DATE_TEXT_MAX else None
        except ValueError:
            day = None
        if day is None:
            self.errors[name] = _("Dates are written as YYYY-MM-DD.")
            return None
        if not FIRST_DAY <= day <= LAST_DAY:
            self.errors[name] = _(
                "Please choose a date from %(first)s to %(last)s.",
                first=FIRST_DAY.isoformat(),
                last=LAST_DAY.isoformat(),
            )
            return None
        return day


@staff_bp.route("/<int:survey_id>/results")
@agent
def results(survey_id: int) -> str | tuple[str, int]:
    """The survey's figures for a period and (unless anonymous) a segment; a bad date is said, not guessed."""
    survey = _staff_survey(survey_id)
    dates = DateFilter(request.args.get("start") or "", request.args.get("end") or "")
    segment = (request.args.get("segment") or "")[:200] or None
    if segment and segment_by_key(segment) is None:
        segment = None
    page = render_template(
        "surveys/staff_results.html",
        survey=survey,
        data=None if dates.errors else service.results(survey, dates.start, dates.end, segment),
        dates=dates,
        segment=segment,
        segments=[] if survey.anonymous else audience_choices()[1:],
        text_kinds=TEXT_KINDS,
    )
    return (page, 400) if dates.errors else page


@staff_bp.route("/<int:survey_id>/questions/<int:question_id>/answers")
@agent
def text_answers(survey_id: int, question_id: int) -> str:
    survey = _staff_survey(survey_id)
    question = db.session.get(Question, question_id)
    if question is None or question.survey_id != survey.id or question.kind not in TEXT_KINDS:
        abort(404)
    page = service.text_answers(survey, question.id, request.args.get("before"))
    template = "surveys/_text_answers.html" if is_htmx_request() else "surveys/staff_text_answers.html"
    return render_template(
        template, survey=survey, question=question, rows=page.items, next_before=page.next_cursor
    )


@staff_bp.route("/<int:survey_id>/export.csv")
@agent
def export(survey_id: int) -> FlaskResponse:
    """Every submitted response as a CSV row, every cell guarded against spreadsheet formulas.

    An anonymous survey's export has no identity and no date, and lists responses in the order of
    their respondent keys, so neither a column nor the row order says who answered when.
    """
    survey = _staff_survey(survey_id)
    questions = service.questions_of(survey.id)

    def rows() -> Iterator[list[object]]:
        named = [] if survey.anonymous else ["response", "customer_id", "customer_email", "submitted"]
        yield named + [q.text for q in questions]
        for batch in _submitted_batches(survey):
            answers = _answers_of([row.id for row in batch])
            for row in batch:
                cells = [_cell(q, answers.get(row.id, {}).get(q.id, [])) for q in questions]
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

    return FlaskResponse(
        stream_with_context(csv_lines(rows())),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="survey-{survey.id}.csv"'},
    )


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
