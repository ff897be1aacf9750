"""Plugin settings: what a plugin declares, how a value is checked, where it is kept, how it is read.

A plugin declares its settings, each with a type and a default, through ``portal_plugin_settings``;
an administrator changes them at /staff/settings. Only values an administrator chose are stored
(table ``portal_settings``), so a plugin's new default reaches every portal where nobody chose
otherwise. Values are read at most once per plugin per unit of work (a request, a job, a tick) and never
kept longer, so a change reaches every worker process at its next request, job or tick.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal import audit
from portal.configuration_cache import kept
from portal.database import Model, db, utcnow
from portal.numbers import ascii_digits
from portal.plugin_manager import PluginError, plugin_host
from portal.unit_of_work import forget

log = logging.getLogger(__name__)

SettingType = Literal["text", "integer", "boolean", "choice", "decimal"]
SETTING_TYPES: tuple[str, ...] = ("text", "integer", "boolean", "choice", "decimal")
KEY_MAX = 64
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
# How many characters a number may be typed with: more is never a real setting, and Python's int()
# refuses very long digit strings anyway.
NUMBER_TEXT_MAX = 40
INTEGER_PATTERN = re.compile(r"[+-]?\d+")
PERSIAN_DECIMAL_SIGN = "\u066b"  # "۲٫۵": read as 2.5, like the Persian digits around it
EXTENSION_KEY = "portal_settings"


class SettingValueError(ValueError):
    """A value does not fit its setting's declaration; the message tells an administrator what fits."""


class UnknownSettingError(LookupError):
    """Code asked for a setting its plugin never declared: a bug, never an administrator's mistake."""


@dataclass(frozen=True)
class Setting:
    """One setting a plugin declares: its key, how it is shown, its type, default and limits.

    ``label`` and ``help`` should be lazy translations. ``choices`` holds ``(value, label)`` pairs for a
    ``choice`` setting. ``min`` and ``max`` bound an ``integer`` or ``decimal``; ``max_length`` bounds
    a ``text``. A ``decimal`` is read back as ``decimal.Decimal`` and stored as a string, never as a
    float, so 0.1 stays exactly 0.1. A ``multiline`` text is typed in a box of several lines (a list,
    one entry per line). ``check``, if given, is called with a cleaned value an administrator or code
    is saving and raises ``SettingValueError`` for one the type alone cannot refuse (an address that
    is nobody's): it may read the database, and is not run when a stored value is read back.
    """

    key: str
    label: Any
    type: SettingType
    default: Any
    help: Any = ""
    choices: tuple[tuple[str, Any], ...] = ()
    min: int | Decimal | None = None
    max: int | Decimal | None = None
    max_length: int = 200
    multiline: bool = False
    check: Callable[[Any], None] | None = None

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _label in self.choices)

    def choice_label(self, value: Any) -> Any:
        """The label an administrator reads for a choice value (the value itself if it is unknown)."""
        return dict(self.choices).get(value, value)

    def clean(self, value: Any) -> Any:
        """Check ``value`` (typed by a person or passed by code) and return it in the setting's type.

        Raises ``SettingValueError`` with a message fit to show next to the field.
        """
        cleaner = {
            "text": self._clean_text,
            "integer": self._clean_integer,
            "boolean": self._clean_boolean,
            "choice": self._clean_choice,
            "decimal": self._clean_decimal,
        }[self.type]
        return cleaner(value)

    def checked(self, value: Any) -> Any:
        """``clean``, then the plugin's own ``check``: what a value must pass to be saved."""
        cleaned = self.clean(value)
        if self.check is not None:
            self.check(cleaned)
        return cleaned

    def default_value(self) -> Any:
        """The declared default in the setting's type (declarations are checked at start)."""
        return self.clean(self.default)

    def to_stored(self, value: Any) -> Any:
        """A cleaned value as JSON: a decimal becomes its exact string."""
        return str(value) if self.type == "decimal" else value

    def _clean_text(self, value: Any) -> str:
        if not isinstance(value, str):
            raise SettingValueError(_("Enter text."))
        value = value.strip()
        if len(value) > self.max_length:
            raise SettingValueError(_("Use at most %(max)d characters.", max=self.max_length))
        return value

    def _clean_integer(self, value: Any) -> int:
        if isinstance(value, str):
            text = ascii_digits(value).strip()
            if not text or len(text) > NUMBER_TEXT_MAX or not INTEGER_PATTERN.fullmatch(text):
                raise SettingValueError(_("Enter a whole number, like 10."))
            value = int(text)
        elif isinstance(value, bool) or not isinstance(value, int):
            raise SettingValueError(_("Enter a whole number, like 10."))
        self._check_range(value)
        return value

    def _clean_decimal(self, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise SettingValueError(_("Enter a number, like 2.5."))
        text = ascii_digits(str(value)).strip().replace(PERSIAN_DECIMAL_SIGN, ".")
        try:
            number = Decimal(text) if text and len(text) <= NUMBER_TEXT_MAX else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise SettingValueError(_("Enter a number, like 2.5."))
        self._check_range(number)
        return number

    def _check_range(self, number: int | Decimal) -> None:
        low, high = self.min, self.max
        if (low is None or number >= low) and (high is None or number <= high):
            return
        if low is not None and high is not None:
            raise SettingValueError(_("Enter a number from %(min)s to %(max)s.", min=low, max=high))
        if low is not None:
            raise SettingValueError(_("Enter a number of at least %(min)s.", min=low))
        raise SettingValueError(_("Enter a number of at most %(max)s.", max=high))

    def _clean_boolean(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise SettingValueError(_("Choose on or off."))
        return value

    def _clean_choice(self, value: Any) -> str:
        if value not in self.choice_values:
            raise SettingValueError(_("Choose one of the options in the list."))
        return value


class StoredSetting(Model):
    """A value an administrator chose for one plugin's setting; without a row the default applies."""

    __tablename__ = "portal_settings"

    plugin: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_users.id", ondelete="SET NULL"))


# --- declarations ----------------------------------------------------------------------------------


def declaration_problems(settings: list[Setting]) -> list[str]:
    """What is wrong with one plugin's declarations, in words its author can act on (empty if fine)."""
    keys = [setting.key for setting in settings if isinstance(setting.key, str)]
    problems = [
        f"key {key!r} is declared twice" for key in sorted({key for key in keys if keys.count(key) > 1})
    ]
    for setting in settings:
        problems.extend(_setting_problems(setting))
    return problems


def _setting_problems(setting: Setting) -> list[str]:
    key = setting.key
    if not isinstance(key, str) or len(key) > KEY_MAX or not KEY_PATTERN.fullmatch(key):
        return [f"key {key!r} must be lowercase letters, digits and _ (at most {KEY_MAX})"]
    if setting.type not in SETTING_TYPES:
        return [f"{key!r} has type {setting.type!r}; use one of {', '.join(SETTING_TYPES)}"]
    if setting.type == "choice" and not _are_choice_pairs(setting.choices):
        return [f"{key!r} is a choice: give choices as (value, label) pairs, values strings"]
    if not _is_whole(setting.max_length) or setting.max_length < 1:
        return [f"the max_length of {key!r} must be a positive whole number"]
    if not all(
        bound is None or _is_whole(bound) or isinstance(bound, Decimal)
        for bound in (setting.min, setting.max)
    ):
        return [f"the min and max of {key!r} must be whole numbers or Decimals"]
    try:
        setting.clean(setting.default)
    except SettingValueError as error:
        return [f"the default of {key!r} does not fit its own declaration: {error}"]
    return []


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _are_choice_pairs(choices: Any) -> bool:
    return (
        isinstance(choices, tuple | list)
        and len(choices) > 0
        and all(isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str) for pair in choices)
    )


def load_declared_settings(app: Flask) -> None:
    """Ask every installed plugin for its settings once, at start, and refuse to start on a bad one.

    Every installed plugin is asked, enabled or not, so an administrator can configure a plugin
    before switching it on. Declarations cannot change while the process runs (installing a plugin
    needs a restart), so they are kept on the app; values are not.
    """
    declared: dict[str, dict[str, Setting]] = {}
    with app.app_context():
        answers = plugin_host(app).call_each("portal_plugin_settings", enabled_only=False)
    for plugin_name, settings in answers:
        settings = list(settings)
        problems = declaration_problems(settings)
        if problems:
            raise PluginError(
                f"Plugin {plugin_name!r} declares settings wrongly: " + "; ".join(problems) + "."
            )
        if settings:
            declared[plugin_name] = {setting.key: setting for setting in settings}
    app.extensions[EXTENSION_KEY] = dict(sorted(declared.items()))


def declared_settings() -> Mapping[str, Mapping[str, Setting]]:
    """Every installed plugin that declares settings, by name, with its settings in declared order."""
    return current_app.extensions[EXTENSION_KEY]


def declared_setting(plugin: str, key: str) -> Setting:
    """The declaration of one setting; asking for one nobody declared is a bug and raises."""
    try:
        return declared_settings()[plugin][key]
    except KeyError:
        raise UnknownSettingError(f"Plugin {plugin!r} declares no setting {key!r}.") from None


# --- values ----------------------------------------------------------------------------------------


def stored_values(plugin: str) -> dict[str, Any]:
    """The plugin's stored values as JSON, read once per unit of work (a request, a job, a tick).

    Plugin code reads settings inside loops (a tier per account, a cap per grant), so each read
    going to the database would cost a query per item; a unit keeps what it read until it ends, and
    the worker keeps it for later units until a setting changes (``portal.configuration_cache``).
    Callers read the map and never change it: later units get the same one.
    """
    return kept(_unit_name(plugin), lambda: _read_stored(plugin))


def _unit_name(plugin: str) -> tuple[str, str]:
    return ("portal_settings", plugin)


def _read_stored(plugin: str) -> dict[str, Any]:
    rows = db.session.execute(
        select(StoredSetting.key, StoredSetting.value).where(StoredSetting.plugin == plugin)
    )
    return {key: value for key, value in rows}


def _forget(plugin: str) -> None:
    forget(_unit_name(plugin))


def get_setting(plugin: str, key: str) -> Any:
    """The value of a plugin's setting: what an administrator chose, else the declared default.

    A stored value that no longer fits the declaration (the plugin narrowed a range or dropped a
    choice in a new version) reads as the default, so plugin code always gets a value it accepts.
    Raises ``UnknownSettingError`` for a key the plugin never declared.
    """
    setting = declared_setting(plugin, key)
    stored = stored_values(plugin)
    if key in stored:
        try:
            return setting.clean(stored[key])
        except SettingValueError:
            log.warning(
                "Stored value of %s.%s no longer fits its declaration; using the default.", plugin, key
            )
    return setting.default_value()


def is_stored(plugin: str, key: str) -> bool:
    """Whether an administrator chose this setting's value (else it follows the plugin's default)."""
    declared_setting(plugin, key)
    return key in stored_values(plugin)


def set_setting(plugin: str, key: str, value: Any, actor_id: int | None) -> bool:
    """Check and store a setting's new value in the current transaction, and audit the change.

    Returns whether anything changed: a value equal to the current one is not stored, so saving a
    form untouched keeps every default following the plugin. Raises ``SettingValueError`` for a
    value that does not fit. The caller commits.
    """
    setting = declared_setting(plugin, key)
    cleaned = setting.checked(value)
    previous = get_setting(plugin, key)
    if cleaned == previous:
        return False
    row = db.session.get(StoredSetting, (plugin, key))
    if row is None:
        row = StoredSetting(plugin=plugin, key=key)
        db.session.add(row)
    row.value = setting.to_stored(cleaned)
    row.updated_at = utcnow()
    row.updated_by_id = actor_id
    audit.record(
        "setting_changed",
        actor_id=actor_id,
        plugin=plugin,
        key=key,
        value=setting.to_stored(cleaned),
        previous=setting.to_stored(previous),
    )
    _forget(plugin)
    return True


def reset_setting(plugin: str, key: str, actor_id: int | None) -> bool:
    """Forget the chosen value so the plugin's default applies again; audited, the caller commits.

    Returns whether there was a chosen value to forget.
    """
    setting = declared_setting(plugin, key)
    row = db.session.get(StoredSetting, (plugin, key))
    if row is None:
        return False
    previous = get_setting(plugin, key)
    db.session.delete(row)
    audit.record(
        "setting_changed",
        actor_id=actor_id,
        plugin=plugin,
        key=key,
        value=setting.to_stored(setting.default_value()),
        previous=setting.to_stored(previous),
        reset=True,
    )
    _forget(plugin)
    return True
