"""Staff console pages of the core."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Row, String, cast, or_, select
from wtforms import HiddenField, SearchField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, ValidationError

from portal.access import admin, agent
from portal.accounts.models import EMAIL_MAX, User, find_user_by_email, normalise_email
from portal.audit import PLUGIN_KIND, SECURITY_EVENTS, AuditEvent
from portal.database import db
from portal.date_inputs import CalendarDateInput, DateInputError
from portal.day_filters import parse_filter_day
from portal.paging import keyset_page
from portal.plugin_info import plugin_infos
from portal.plugin_manager import plugin_host
from portal.plugin_state import PluginState
from portal.staff.dashboard import staff_figure_cards
from portal.staff.plugin_switch import switch_plugin

bp = Blueprint("staff", __name__, url_prefix="/staff")

AUDIT_PAGE_SIZE = 50


@bp.route("/")
@agent
def home():
    """The staff dashboard: the figures enabled plugins watch, each a way into its list."""
    return render_template("staff/home.html", figures=staff_figure_cards(current_user))


@bp.route("/plugins")
@admin
def plugins():
    host = plugin_host()
    enabled = host.enabled()
    switches = {state.name: state for state in db.session.scalars(select(PluginState))}
    rows = [
        {
            "name": name,
            "distribution": plugin.distribution,
            "version": plugin.version,
            "enabled": name in enabled,
            "switched": switches.get(name),
            "configured": name in host.app.config["PORTAL_PLUGINS"],
            "hooks": host.implemented_hooks(name),
        }
        for name, plugin in sorted(host.installed.items())
    ]
    return render_template("staff/plugins.html", rows=rows, infos=plugin_infos(), form=FlaskForm())


@bp.route("/plugins/<name>/switch-off")
@admin
def confirm_switch_off(name: str):
    """Ask before switching a plugin off: customers lose its pages at once, on every server."""
    host = plugin_host()
    if name not in host.installed:
        abort(404)
    if name not in host.enabled():
        return redirect(url_for("staff.plugins"))
    return render_template(
        "staff/plugins_switch_off.html", name=name, info=plugin_infos()[name], form=FlaskForm()
    )


@bp.route("/plugins/<name>", methods=["POST"])
@admin
def switch(name: str):
    host = plugin_host()
    if name not in host.installed:
        abort(404)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    enable = request.form.get("enabled") == "1"
    switch_plugin(name, enable, current_user.id)
    label = plugin_infos()[name].display_name
    if enable:
        flash(_("The %(name)s plugin is now on.", name=label), "success")
    else:
        flash(_("The %(name)s plugin is now off. Its data is kept.", name=label), "success")
    return redirect(url_for("staff.plugins"))


class AuditFilterForm(FlaskForm):
    """The audit log's filters, sent with GET so a filtered view can be bookmarked and paged.

    Dates are days in the administrator's own time zone, the one the log's times are shown in.
    """

    class Meta:
        csrf = False  # reading the log changes nothing

    kind = SelectField(
        _l("Event"),
        choices=[SelectChoice("", _l("All events")), *(SelectChoice(kind) for kind in SECURITY_EVENTS)],
        default="",
        validate_choice=False,
    )
    email = SearchField(
        _l("Account email"),
        validators=[Length(max=EMAIL_MAX, message=_l("An email address has at most %(max)d characters."))],
        filters=[lambda value: normalise_email(value or "")],
        render_kw={"maxlength": EMAIL_MAX},
    )
    # Kept as typed (the "older" link repeats them); shown and read in the reader's calendar.
    date_from = StringField(_l("From"), widget=CalendarDateInput())
    date_to = StringField(_l("To"), widget=CalendarDateInput())
    before = HiddenField()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [*self.kind.choices, *(SelectChoice(kind) for kind in _plugin_kinds_logged())]

    def validate_kind(self, field: SelectField) -> None:
        if field.data and field.data not in SECURITY_EVENTS and not PLUGIN_KIND.match(field.data):
            raise ValidationError(_l("Choose an event from the list."))

    def validate_date_from(self, field: StringField) -> None:
        _parse_day(field.data)

    def validate_date_to(self, field: StringField) -> None:
        end = _parse_day(field.data)
        start = _parse_day(self.date_from.data) if not self.date_from.errors else None
        if start and end and end < start:
            raise ValidationError(_l("The end date comes before the start date."))

    def validate_before(self, field: HiddenField) -> None:
        if field.data and not (field.data.isdigit() and len(field.data) <= 18):
            raise ValidationError(_l("That page link is broken. Start again from the newest events."))

    def query_args(self) -> dict[str, str]:
        """The filters as URL arguments, so the "older" link keeps them."""
        fields = (self.kind, self.email, self.date_from, self.date_to)
        return {field.name: field.data for field in fields if field.data}


def _plugin_kinds_logged() -> list[str]:
    """The plugins' event kinds the log holds, for the filter; plugins declare none in advance."""
    kinds = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.kind.contains(".")).distinct())
    return sorted(kinds)


def _parse_day(text: str | None) -> date | None:
    """A date typed in the reader's calendar, clamped, or a message naming the format with an example."""
    try:
        return parse_filter_day(text)
    except DateInputError as error:
        raise ValidationError(str(error)) from None


def _day_start_utc(day: date) -> datetime:
    """Midnight at the start of ``day`` in the reader's time zone, as the naive UTC the log keeps."""
    zone = ZoneInfo(str(get_timezone()))
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def audit_page(form: AuditFilterForm) -> tuple[list[Row[Any]], str | None]:
    """One page of events matching the filters, newest first, each with its actor's email address."""
    query = select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.actor_id)
    if form.kind.data:
        query = query.where(AuditEvent.kind == form.kind.data)
    if form.email.data:
        # Events by the account, about it (a role changed by the CLI) and failed sign-ins typed with
        # the address, which may belong to no account at all.
        # Both sides are normalised already: the form's filter and ``login_failed``'s ``normalise_email``.
        matches = [AuditEvent.detail["email"].as_string() == form.email.data]
        account = find_user_by_email(form.email.data)
        if account is not None:
            matches.append(AuditEvent.actor_id == account.id)
            matches.append(cast(AuditEvent.detail["user_id"].as_string(), String) == str(account.id))
        query = query.where(or_(*matches))
    start, end = _parse_day(form.date_from.data), _parse_day(form.date_to.data)
    if start:
        query = query.where(AuditEvent.created_at >= _day_start_utc(start))
    if end:
        query = query.where(AuditEvent.created_at < _day_start_utc(end + timedelta(days=1)))
    page = keyset_page(
        query,
        [AuditEvent.id],
        cursor=form.before.data or None,
        size=AUDIT_PAGE_SIZE,
        descending=True,
        scalars=False,
    )
    return page.items, page.next_cursor


@bp.route("/audit")
@admin
def audit_log():
    """Security events, newest first, filtered; unreadable filters get a message and no events."""
    form = AuditFilterForm(formdata=request.args)
    valid = form.validate()
    rows, next_before = audit_page(form) if valid else ([], None)
    return render_template(
        "staff/audit.html",
        form=form,
        rows=rows,
        next_before=next_before,
        zone=str(get_timezone()),
    ), (200 if valid else 400)
