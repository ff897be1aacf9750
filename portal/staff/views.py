"""Staff console pages of the core."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from portal.access import admin, agent
from portal.audit import SECURITY_EVENTS, AuditEvent
from portal.database import db
from portal.plugin_manager import plugin_host
from portal.plugin_state import PluginState
from portal.staff.plugin_switch import switch_plugin

bp = Blueprint("staff", __name__, url_prefix="/staff")

AUDIT_PAGE_SIZE = 50


@bp.route("/")
@agent
def home():
    return render_template("staff/home.html")


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
    return render_template("staff/plugins.html", rows=rows, form=FlaskForm())


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
    host.forget_request_state()
    if enable:
        flash(_("The %(name)s plugin is now on.", name=name), "success")
    else:
        flash(_("The %(name)s plugin is now off. Its data is kept.", name=name), "success")
    return redirect(url_for("staff.plugins"))


@bp.route("/audit")
@admin
def audit_log():
    kind = request.args.get("kind", "")
    before = request.args.get("before", type=int)
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE_SIZE + 1)
    if kind in SECURITY_EVENTS:
        query = query.where(AuditEvent.kind == kind)
    if before:
        query = query.where(AuditEvent.id < before)
    events = list(db.session.scalars(query))
    next_before = events[AUDIT_PAGE_SIZE - 1].id if len(events) > AUDIT_PAGE_SIZE else None
    return render_template(
        "staff/audit.html",
        events=events[:AUDIT_PAGE_SIZE],
        kinds=SECURITY_EVENTS,
        kind=kind,
        next_before=next_before,
    )
