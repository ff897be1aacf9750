"""Administrators' pages for plugin settings: one form per plugin, generated from its declarations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, Field, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError
from wtforms.widgets import NumberInput

from portal.access import admin
from portal.database import db
from portal.numbers import format_number
from portal.plugin_manager import plugin_host
from portal.settings import (
    Setting,
    SettingValueError,
    StoredSetting,
    declared_settings,
    get_setting,
    is_stored,
    reset_setting,
    set_setting,
)

bp = Blueprint("staff_settings", __name__, url_prefix="/staff/settings")

# Fields are named after their keys with a prefix, so no key can collide with the form's own
# attributes (``data``, ``errors``, ``csrf_token``…).
FIELD_PREFIX = "setting_"


def _fits(setting: Setting) -> Any:
    """A WTForms validator that applies the setting's own check, so the form and the code agree."""

    def check(_form: FlaskForm, field: Field) -> None:
        try:
            setting.checked(field.data)
        except SettingValueError as error:
            raise ValidationError(str(error)) from None

    return check


def setting_field(setting: Setting) -> Field:
    """The form field that fits a setting's type, with its limits for the browser as well."""
    validators = [_fits(setting)]
    if setting.type == "boolean":
        return BooleanField(setting.label, validators=validators)
    if setting.type == "choice":
        # Plugins declare choices as (value, label) pairs; WTForms wants SelectChoice objects.
        choices = [SelectChoice(value, label) for value, label in setting.choices]
        return SelectField(setting.label, choices=choices, validate_choice=False, validators=validators)
    if setting.type == "integer":
        widget = NumberInput(step="1", min=setting.min, max=setting.max)
        return StringField(
            setting.label, validators=validators, widget=widget, render_kw={"inputmode": "numeric"}
        )
    if setting.type == "decimal":
        widget = NumberInput(step="any", min=setting.min, max=setting.max)
        return StringField(
            setting.label, validators=validators, widget=widget, render_kw={"inputmode": "decimal"}
        )
    if setting.multiline:
        return TextAreaField(
            setting.label, validators=validators, render_kw={"maxlength": setting.max_length, "rows": 5}
        )
    return StringField(setting.label, validators=validators, render_kw={"maxlength": setting.max_length})


def settings_form(plugin: str, settings: Mapping[str, Setting]) -> FlaskForm:
    """A form with a field per declared setting, showing the current values (or what was posted)."""

    class SettingsForm(FlaskForm):
        pass

    for key, setting in settings.items():
        setattr(SettingsForm, FIELD_PREFIX + key, setting_field(setting))
    return SettingsForm(data={FIELD_PREFIX + key: get_setting(plugin, key) for key in settings})


def shown_value(setting: Setting, value: Any) -> str:
    """A value the way an administrator reads it: a choice's label, on/off, or the value itself."""
    if setting.type == "boolean":
        return _("On") if value else _("Off")
    if setting.type == "choice":
        return str(setting.choice_label(value))
    if setting.type == "text" and value == "":
        return _("(empty)")
    if setting.type in ("integer", "decimal"):
        return format_number(value)
    return str(value)


def field_hint(setting: Setting) -> str:
    """The help text the plugin wrote, followed by the default, so a reset holds no surprise."""
    default = _("Default: %(value)s.", value=shown_value(setting, setting.default_value()))
    return f"{setting.help} {default}" if setting.help else default


def plugin_settings_or_404(plugin: str) -> Mapping[str, Setting]:
    settings = declared_settings().get(plugin)
    if not settings:
        abort(404)
    return settings


@bp.route("/")
@admin
def index():
    """Every installed plugin that declares settings, on or off, with how many were changed."""
    changed = dict(
        db.session.execute(select(StoredSetting.plugin, func.count()).group_by(StoredSetting.plugin))
        .tuples()
        .all()
    )
    enabled = plugin_host().enabled()
    rows = [
        {"name": name, "count": len(settings), "changed": changed.get(name, 0), "enabled": name in enabled}
        for name, settings in declared_settings().items()
    ]
    return render_template("staff/settings/index.html", rows=rows)


@bp.route("/<plugin>", methods=["GET", "POST"])
@admin
def edit(plugin: str):
    """One plugin's settings: save what changed, or show each problem next to its field."""
    settings = plugin_settings_or_404(plugin)
    form = settings_form(plugin, settings)
    if form.validate_on_submit():
        changed = [
            key
            for key in settings
            if set_setting(plugin, key, form[FIELD_PREFIX + key].data, actor_id=current_user.id)
        ]
        db.session.commit()
        if changed:
            flash(
                ngettext("%(num)d setting saved.", "%(num)d settings saved.", len(changed)),
                "success",
            )
        else:
            flash(_("Nothing changed."), "info")
        return redirect(url_for("staff_settings.edit", plugin=plugin))
    rows = [
        {
            "key": key,
            "field": form[FIELD_PREFIX + key],
            "hint": field_hint(setting),
            "stored": is_stored(plugin, key),
        }
        for key, setting in settings.items()
    ]
    return render_template(
        "staff/settings/edit.html",
        plugin=plugin,
        enabled=plugin_host().is_enabled(plugin),
        form=form,
        rows=rows,
    )


@bp.route("/<plugin>/reset", methods=["POST"], defaults={"key": None})
@bp.route("/<plugin>/reset/<key>", methods=["POST"])
@admin
def reset(plugin: str, key: str | None):
    """Put one setting, or all of a plugin's, back to the plugin's default."""
    settings = plugin_settings_or_404(plugin)
    if key is not None and key not in settings:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    keys = [key] if key is not None else list(settings)
    reset = [each for each in keys if reset_setting(plugin, each, actor_id=current_user.id)]
    db.session.commit()
    if key is not None:
        flash(_("%(label)s is back to its default.", label=settings[key].label), "success")
    elif reset:
        flash(_("Every setting is back to its default."), "success")
    else:
        flash(_("Every setting already had its default."), "info")
    return redirect(url_for("staff_settings.edit", plugin=plugin))
