"""The customer's survey pages at /surveys: what is waiting, the opt-out, answering, thanks and the tile.

A customer reaches only surveys they were invited to or whose audience they belong to
(``answering.survey_to_answer``); anything else is a 404, as if it did not exist.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from portal.plugin import customer, db, render_widget, utcnow

from . import answering, invitations
from .blueprint import bp
from .building import questions_of
from .forms import ActionForm
from .models import Question, Response, Survey


@bp.route("/")
@customer
def index() -> str:
    """The surveys waiting for the signed-in customer, and their opt-out."""
    waiting, next_before = invitations.waiting_for(current_user.id, request.args.get("before"), utcnow())
    return render_template(
        "surveys/index.html",
        waiting=waiting,
        next_before=next_before,
        opted_out=invitations.opted_out(current_user.id),
        form=ActionForm(),
    )


@bp.route("/widget")
@customer
def widget() -> str:
    """The dashboard tile: how many surveys are waiting for the customer."""
    waiting = invitations.waiting_count(current_user.id)
    return render_widget("surveys/widget.html", title=_("Surveys"), waiting=waiting)


@bp.route("/opt-out", methods=["POST"])
@customer
def opt_out() -> WerkzeugResponse:
    """Stop (or restart) survey invitations for the signed-in customer."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    out = request.form.get("out") == "1"
    invitations.set_opt_out(current_user.id, out)
    db.session.commit()
    flash(_("We will not send you surveys.") if out else _("We may send you surveys again."), "success")
    return redirect(url_for("surveys.index"))


@bp.route("/invitation/<token>")
@customer
def invitation(token: str) -> WerkzeugResponse:
    """The signed link from the notification and the email: it opens the survey for its own customer."""
    survey_id = invitations.invited_survey(token, current_user.id)
    if survey_id is None:
        abort(404)
    return redirect(url_for("surveys.take", survey_id=survey_id))


def _survey_for_customer(survey_id: int) -> Survey:
    survey = answering.survey_to_answer(survey_id, current_user.id)
    if survey is None:
        abort(404)
    return survey


@bp.route("/<int:survey_id>/", methods=["GET", "POST"])
@customer
def take(survey_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    """Answer a survey: one question a page or all at once; answers are kept at every step."""
    survey = _survey_for_customer(survey_id)
    if not survey.is_open(utcnow()):
        return render_template("surveys/closed.html", survey=survey), 410
    response = answering.find_response(survey, current_user.id)
    if response is not None and response.submitted_at is not None:
        return redirect(url_for("surveys.thanks", survey_id=survey.id))
    questions = questions_of(survey.id)
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
        response = answering.get_or_start_response(survey, current_user.id)
        if not answering.claim_draft(response):
            db.session.rollback()  # another tab sent the answers while this one waited its turn
            return redirect(url_for("surveys.thanks", survey_id=survey.id))
        submitted = {f"q{q.id}": request.form.getlist(f"q{q.id}") for q in shown}
        raw = {q.id: submitted[f"q{q.id}"] for q in shown}
        errors = answering.save_answers(response, shown, submitted)
        action = request.form.get("action", "save")
        if not errors and action == "submit":
            missing = answering.missing_required(response, questions)
            if not missing:
                return _send(survey, response)
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
            return _after_saving(survey, action, step)
    return _answer_page(survey, response, shown, raw, errors, step=step, total=len(questions))


def _send(survey: Survey, response: Response) -> WerkzeugResponse:
    """Send the response; a refused send keeps nothing this request wrote: the answers sent first stand."""
    if answering.submit(survey, response, current_user.id):
        db.session.commit()
    else:
        db.session.rollback()
    return redirect(url_for("surveys.thanks", survey_id=survey.id))


def _after_saving(survey: Survey, action: str, step: int) -> WerkzeugResponse:
    """Where the customer goes once the answers on the page are saved: the next page, the last, or here."""
    if action == "next":
        return redirect(url_for("surveys.take", survey_id=survey.id, step=step + 1))
    if action == "back":
        return redirect(url_for("surveys.take", survey_id=survey.id, step=max(step - 1, 0)))
    flash(_("Your answers are saved. You can come back to finish later."), "success")
    return redirect(url_for("surveys.take", survey_id=survey.id, step=step))


def _answer_page(
    survey: Survey,
    response: Response | None,
    shown: list[Question],
    raw: dict[int, list[str]],
    errors: dict[int, str],
    *,
    step: int,
    total: int,
) -> str | tuple[str, int]:
    """The questions with what is saved, and what was typed where it was refused (422 then)."""
    values = answering.current_values(response, shown)
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
        total=total,
        form=ActionForm(),
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
    response = answering.get_or_start_response(survey, current_user.id)
    if not answering.claim_draft(response):
        # The last keystrokes' save often lands just after "Send": nothing went wrong for the reader.
        db.session.rollback()
        return render_template("surveys/saved.html", message=_("Your answers were already sent.")), 200
    questions = questions_of(survey.id)
    shown = [q for q in questions if f"q{q.id}" in request.form or str(q.id) in request.form.getlist("shown")]
    errors = answering.save_answers(
        response, shown, {f"q{q.id}": request.form.getlist(f"q{q.id}") for q in shown}
    )
    db.session.commit()
    if errors:
        return render_template("surveys/saved.html", message=next(iter(errors.values()))), 422
    return render_template("surveys/saved.html", message=_("Saved.")), 200


@bp.route("/<int:survey_id>/thanks")
@customer
def thanks(survey_id: int) -> str:
    """The thanks page, only once the customer's response is sent."""
    survey = _survey_for_customer(survey_id)
    response = answering.find_response(survey, current_user.id)
    if response is None or response.submitted_at is None:
        abort(404)
    return render_template("surveys/thanks.html", survey=survey)
