"""The staff page of inbound mail (/staff/mail): what arrived, what was refused and why."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, SelectChoice, SelectField
from wtforms.validators import Length

from portal.access import agent
from portal.database import db
from portal.mail_in.models import STATUSES, InboundMailRecord
from portal.mail_in.tasks import REFUSED_KEPT_FOR
from portal.paging import keyset_page
from portal.storage import storage

bp = Blueprint("mail_in", __name__, url_prefix="/staff/mail")

PAGE_SIZE = 50
CURSOR_MAX = 40
# The raw message is text, shown as such; never as HTML, whatever it holds.
RAW_MAIL_TYPE = "text/plain"


class MailFilterForm(FlaskForm):
    """The list's filter: all mail, or only the accepted or refused; read from the query string."""

    class Meta:
        csrf = False  # reading the list changes nothing

    status = SelectField(
        _l("Show"),
        choices=[
            SelectChoice("", _l("All mail")),
            SelectChoice("accepted", _l("Accepted")),
            SelectChoice("refused", _l("Refused")),
        ],
        default="",
    )
    before = HiddenField(validators=[Length(max=CURSOR_MAX)])


@bp.route("/")
@agent
def index():
    """Inbound mail, newest first, filtered by status; each refusal with its reason in words."""
    form = MailFilterForm(formdata=request.args)
    valid = form.validate()
    query = select(InboundMailRecord)
    if valid and form.status.data in STATUSES:
        query = query.where(InboundMailRecord.status == form.status.data)
    page = keyset_page(
        query, [InboundMailRecord.id], cursor=form.before.data or None, size=PAGE_SIZE, descending=True
    )
    filters = {"status": form.status.data} if valid and form.status.data else {}
    return render_template(
        "staff/mail_in.html",
        form=form,
        records=page.items if valid else [],
        page=page,
        filters=filters,
        kept_days=REFUSED_KEPT_FOR.days,
    ), (200 if valid else 400)


@bp.route("/<int:record_id>/message.eml")
@agent
def raw_message(record_id: int):
    """The refused mail exactly as it arrived, as a download in plain text, never rendered as a page."""
    record = db.session.get(InboundMailRecord, record_id)
    if record is None or not record.storage_key:
        abort(404)
    return storage().download_response(
        record.storage_key, download_name=f"mail-{record.id}.eml", mimetype=RAW_MAIL_TYPE
    )
