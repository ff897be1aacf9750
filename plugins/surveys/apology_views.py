"""The route behind the follow-up survey step of a complaint's apology; it returns to the ticket's page."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.plugin import ID_MAX, User, agent, db, local_path

from . import apology_step, invitations
from .blueprint import staff_bp
from .models import Survey


@staff_bp.route("/customers/<int:user_id>/ticket-survey", methods=["POST"])
@agent
def ticket_survey(user_id: int) -> Response:
    """Invite the customer to the chosen survey about one of their tickets, now; or say why not."""
    customer = db.session.get(User, user_id)
    if customer is None or customer.role != "customer":
        abort(404)
    form = apology_step.TicketSurveyForm()
    back = local_path(form.next.data) or url_for("staff_customers.show", user_id=customer.id)
    ticket_text = form.ticket_id.data or ""
    ticket_id = int(ticket_text) if ticket_text.isascii() and ticket_text.isdigit() else 0
    survey_text = form.survey_id.data or ""
    survey_id = int(survey_text) if survey_text.isascii() and survey_text.isdigit() else 0
    if not form.validate_on_submit() or not 0 < ticket_id <= ID_MAX:
        return _refused(
            ticket_id, survey_text, back, _("This form is out of date; reload the page and try again.")
        )
    survey = db.session.get(Survey, survey_id) if 0 < survey_id <= ID_MAX else None
    if survey is None or survey.status != "published":
        return _refused(ticket_id, survey_text, back, _("Choose a published survey from the list."))
    refused = invitations.invite_now(survey, customer, apology_step.ticket_subject(ticket_id))
    if refused is not None:
        db.session.rollback()
        return _refused(ticket_id, survey_text, back, refused)
    db.session.commit()
    flash(_("The survey “%(title)s” was sent to the customer.", title=survey.title), "success")
    return redirect(f"{back}#apology", 303)


def _refused(ticket_id: int, survey_text: str, back: str, error: str) -> Response:
    """Say why, keep the choice for the ticket's page, and change nothing."""
    if ticket_id:
        apology_step.keep_draft(ticket_id, survey_text, error)
    flash(error, "error")
    return redirect(f"{back}#apology", 303)
