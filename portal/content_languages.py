"""Content staff write in each enabled language: a reward's title, a survey's questions, a document's title.

One mechanism for every plugin. The default-language text stays in its own column (staff search and
sort on it); the other languages live in one JSON column per model, declared with
``translations_column()``::

    {"fa": {"title": "کارت هدیه", "description": "…"}}

Readers get ``localized(obj, "title")``: the text in their language (the same reader as dates and
numbers: the signed-in person, a visitor, or a mail's recipient under ``force_locale``), else the
default-language text. An empty or missing translation means "not translated" and falls back.

Staff forms get one extra field per further language next to each translatable field
(``translatable_form``), ``translation_data`` to fill them and ``store_translations`` to save them;
staff lists show what is still missing with ``missing_languages`` (and the ``content_missing``
macro in ``templates/macros/content.html``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from babel import Locale, UnknownLocaleError
from flask import Flask, current_app, flash, has_app_context, redirect, render_template
from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response
from wtforms import Form
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, Optional

from portal.database import db
from portal.dates import FALLBACK_LANGUAGE, reader_language
from portal.settings import Setting, declared_settings, get_setting

Translations = dict[str, dict[str, str]]
F = TypeVar("F", bound=Form)
T = TypeVar("T")


def translations_column() -> Mapped[Translations | None]:
    """The JSON column holding a model's texts in the further languages (SQLite and PostgreSQL alike).

    ``None`` and ``{}`` both mean "nothing translated yet", so existing rows need no data migration.
    Assign a new dict to change it (in-place changes of a JSON value are not tracked).
    """
    return mapped_column(JSON, nullable=True)


# --- Which languages ---------------------------------------------------------------------------------


def default_language() -> str:
    """The language the plain columns are written in."""
    return current_app.config["PORTAL_DEFAULT_LANGUAGE"] if has_app_context() else FALLBACK_LANGUAGE


def further_languages() -> list[str]:
    """The enabled languages besides the default: the ones staff may add a translation in."""
    if not has_app_context():
        return []
    default = default_language()
    return [code for code in current_app.config["PORTAL_LANGUAGES"] if code != default]


def language_autonym(code: str) -> str:
    """A language's name in itself ("فارسی"), the same whoever reads the form."""
    try:
        return Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        return code


def language_name(code: str) -> str:
    """A language's name in the reader's language ("Persian" on an English page)."""
    try:
        return Locale.parse(code).get_display_name(reader_language()) or code
    except (UnknownLocaleError, ValueError):
        return code


def text_direction(code: str) -> str:
    """``rtl`` or ``ltr``: what a field or a span of text in language ``code`` needs."""
    try:
        return Locale.parse(code).text_direction
    except (UnknownLocaleError, ValueError):
        return "ltr"


# --- Reading -------------------------------------------------------------------------------------------


def translation(obj: object, field: str, language: str) -> str:
    """The text of ``field`` written for ``language``, or ``""`` when there is none."""
    if language == default_language():
        return getattr(obj, field) or ""
    stored = getattr(obj, "translations", None) or {}
    text = (stored.get(language) or {}).get(field)
    return text if isinstance(text, str) and text.strip() else ""


def localized_with_language(obj: object, field: str, language: str | None = None) -> tuple[str, str]:
    """The text of ``field`` for a reader of ``language`` (default: whoever reads now) and its language.

    The language tells the page whether the text is a fallback in another language than the page.
    """
    wanted = language or reader_language()
    text = translation(obj, field, wanted) if wanted != default_language() else ""
    if text:
        return text, wanted
    return getattr(obj, field) or "", default_language()


def localized(obj: object, field: str, language: str | None = None) -> str:
    """``field`` of ``obj`` in the reader's language, falling back to the default-language text.

    Use it wherever a customer reads staff-written content: pages, mails (under ``force_locale``),
    PDFs and exports.
    """
    return localized_with_language(obj, field, language)[0]


def localized_markup(obj: object, field: str) -> Markup:
    """The localized text isolated from its surroundings (``<bdi>``), with ``lang`` when it is a fallback.

    So an English title inside a Persian sentence keeps its punctuation on its own side and is read
    out in English by screen readers.
    """
    text, language = localized_with_language(obj, field)
    if language != reader_language():
        return Markup('<bdi lang="{}" dir="{}">{}</bdi>').format(language, text_direction(language), text)
    return Markup("<bdi>{}</bdi>").format(escape(text))


def missing_languages(obj: object, fields: Iterable[str]) -> list[str]:
    """The further languages in which at least one of ``fields`` (that has default text) is untranslated."""
    written = [field for field in fields if (getattr(obj, field) or "").strip()]
    return [
        code for code in further_languages() if any(not translation(obj, field, code) for field in written)
    ]


def written_translations(obj: object, fields: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Each further language with the texts of ``fields`` written in it, as stored, in field order.

    So the staff page a form leads to shows every language's text as it was typed, not only the
    default one: staff check what customers will read. Languages with nothing written are left out.
    """
    fields = tuple(fields)
    written = []
    for code in further_languages():
        texts = [text for text in (translation(obj, field, code) for field in fields) if text]
        if texts:
            written.append((code, texts))
    return written


# --- Staff forms ---------------------------------------------------------------------------------------


def translation_field_name(field: str, language: str) -> str:
    """The form field holding ``field`` in ``language``: ``title_fa``."""
    return f"{field}_{language}"


def _translated_label(label: Any, language: str) -> LazyString:
    return LazyString(
        lambda: _("%(field)s (%(language)s)", field=str(label), language=language_autonym(language))
    )


def _translation_field(unbound: UnboundField, language: str) -> UnboundField:
    """A copy of ``unbound`` for ``language``: same type and limits, optional, marked with lang/dir."""
    label = _label_of(unbound)
    validators = [Optional()] + [
        validator
        for validator in unbound.kwargs.get("validators", [])
        if not isinstance(validator, (DataRequired, InputRequired, Optional))
    ]
    render_kw = dict(unbound.kwargs.get("render_kw") or {})
    render_kw.update(lang=language, dir=text_direction(language))
    return unbound.field_class(_translated_label(label, language), validators=validators, render_kw=render_kw)


def translatable_form(form_class: type[F], fields: Iterable[str]) -> type[F]:
    """``form_class`` with one field per further language after each of ``fields``.

    The extra fields copy the original's type and length limits, are optional (empty means "not
    translated") and carry ``lang``/``dir`` so the browser spell-checks and aligns them right. The
    class remembers ``translatable_fields`` and ``translation_languages`` for the helpers below.
    """
    key = (form_class, tuple(fields), tuple(further_languages()))
    if key not in _FORMS:
        _FORMS[key] = _translatable_form(*key)
    return _FORMS[key]


# Built once per form, fields and languages: a class per request would grow WTForms' caches.
_FORMS: dict[tuple[type[Any], tuple[str, ...], tuple[str, ...]], Any] = {}


def _translatable_form(
    form_class: type[Any], fields: tuple[str, ...], languages: tuple[str, ...]
) -> type[Any]:
    extra: dict[str, Any] = {"translatable_fields": fields, "translation_languages": languages}
    for field in fields:
        unbound = getattr(form_class, field)
        for language in languages:
            extra[translation_field_name(field, language)] = _translation_field(unbound, language)
    subclass = type(form_class.__name__, (form_class,), extra)
    _place_after_originals(subclass, fields, languages)
    return subclass


def _place_after_originals(
    form_class: type[Any], fields: tuple[str, ...], languages: tuple[str, ...]
) -> None:
    """Order the fields so ``title_fa`` follows ``title`` when a template loops over the form."""
    order = {}
    for field in fields:
        original = getattr(form_class, field)
        for offset, language in enumerate(languages, start=1):
            copy = getattr(form_class, translation_field_name(field, language))
            order[copy] = original.creation_counter + offset / (len(languages) + 1)
    for copy, counter in order.items():
        copy.creation_counter = counter


def translations_form(form_class: type[Form], fields: Iterable[str]) -> type[FlaskForm]:
    """A form of only the translation fields of ``form_class``'s ``fields``, for a translations page."""
    full = translatable_form(form_class, fields)
    key = (FlaskForm, (form_class.__name__, *full.translatable_fields), full.translation_languages)
    if key not in _FORMS:
        copies = {
            translation_field_name(field, language): getattr(full, translation_field_name(field, language))
            for field in full.translatable_fields
            for language in full.translation_languages
        }
        _FORMS[key] = type(
            f"{form_class.__name__}Translations",
            (FlaskForm,),
            copies
            | {
                "translatable_fields": full.translatable_fields,
                "translation_languages": full.translation_languages,
                "texts_as_typed": getattr(form_class, "texts_as_typed", ()),
            },
        )
    return _FORMS[key]


def edit_translations(
    obj: object,
    form_class: type[Form],
    fields: Iterable[str],
    *,
    title: str,
    back: str,
    check: Callable[[Any], bool] | None = None,
) -> str | tuple[str, int] | Response:
    """The staff page that writes ``obj``'s ``fields`` in each further language, beside the originals.

    For content that has no edit form of its own (a published survey's question, a document, a
    canned reply): the missing-translation badge needs somewhere to lead. The caller checks access
    and passes where to go ``back`` to; ``check`` adds a rule of its own (and sets field errors).
    Saves and commits on a valid POST.
    """
    fields = tuple(fields)
    form = translations_form(form_class, fields)(data=translation_data(obj, fields))
    if form.validate_on_submit() and (check is None or check(form)):
        store_translations(form, obj)
        db.session.commit()
        flash(_("Translations saved."), "success")
        return redirect(back, 303)
    page = render_template(
        "content/translations.html",
        form=form,
        title=title,
        back=back,
        originals=[
            (_label_of(getattr(form_class, field)), getattr(obj, field) or "", field) for field in fields
        ],
    )
    return (page, 422) if form.is_submitted() else page


def _label_of(unbound: UnboundField) -> Any:
    return unbound.kwargs.get("label", unbound.args[0] if unbound.args else "")


def translation_fields(form: Form, field: str) -> list[Any]:
    """The bound translation fields of ``field`` in ``form``, to render next to the original."""
    languages = getattr(form, "translation_languages", ())
    return [form[translation_field_name(field, language)] for language in languages]


def translation_data(obj: object | None, fields: Iterable[str]) -> dict[str, str]:
    """Form data for the translation fields from ``obj``'s stored translations (``data=`` of the form)."""
    if obj is None:
        return {}
    stored: Mapping[str, Mapping[str, str]] = getattr(obj, "translations", None) or {}
    return {
        translation_field_name(field, language): (stored.get(language) or {}).get(field, "")
        for field in fields
        for language in further_languages()
    }


def store_translations(form: Form, obj: object) -> None:
    """Save the translation fields of ``form`` on ``obj``; blank ones are dropped (they fall back).

    A translation is kept like its default-language text: stripped of surrounding whitespace, unless
    the form lists the field in ``texts_as_typed`` (its view saves that default text exactly as typed).
    """
    as_typed = set(getattr(form, "texts_as_typed", ()))
    stored: Translations = {}
    for language in getattr(form, "translation_languages", ()):
        texts = {}
        for field in getattr(form, "translatable_fields", ()):
            typed = form[translation_field_name(field, language)].data or ""
            if typed.strip():
                texts[field] = typed if field in as_typed else typed.strip()
        if texts:
            stored[language] = texts
    kept = {
        language: texts
        for language, texts in (getattr(obj, "translations", None) or {}).items()
        if language not in getattr(form, "translation_languages", ())
    }
    obj.translations = kept | stored  # type: ignore[attr-defined]


def in_each_language(build: Callable[[], T]) -> tuple[T, dict[str, T]]:
    """``build()`` in the default language, and again in each further language (by language code).

    For content made from catalogue strings (a ready-made survey): its default text comes from the
    first result, its translations from the others, so it is born translated.
    """
    with force_locale(default_language()):
        default = build()
    others = {}
    for language in further_languages():
        with force_locale(language):
            others[language] = build()
    return default, others


def set_translations(obj: object, translations: Translations) -> None:
    """Give ``obj`` its texts in further languages (demo data, imports); blank texts are dropped."""
    obj.translations = {  # type: ignore[attr-defined]
        language: {field: text for field, text in texts.items() if text and text.strip()}
        for language, texts in translations.items()
    }


# --- Settings that are text customers read (a tier's benefits) ------------------------------------------


def translated_settings(settings: Iterable[Setting], keys: Iterable[str]) -> list[Setting]:
    """``settings`` with, after each text setting in ``keys``, one companion per further language.

    A companion is ``<key>_<language>`` ("tier_gold_benefits_fa") with the same limits. A lazily
    translated default is written in each language from the catalogue, so the portal starts out
    translated; an empty companion falls back to the default-language setting.
    Call it inside ``portal_plugin_settings`` (which runs with the app, so the languages are known).
    """
    wanted = set(keys)
    declared: list[Setting] = []
    for setting in settings:
        with force_locale(default_language()):
            written = _written(setting.default)
        declared.append(replace(setting, default=written))
        if setting.key not in wanted:
            continue
        for language in further_languages():
            with force_locale(language):
                translated = _written(setting.default)
            # No catalogue translation: empty, so the default-language value shows, even once changed.
            default = translated if translated != written else ""
            declared.append(
                replace(
                    setting,
                    key=translation_field_name(setting.key, language),
                    label=_translated_label(setting.label, language),
                    default=default,
                    help="",
                )
            )
    return declared


def _written(value: Any) -> Any:
    """A lazy translation as text in the current locale (a setting's default must be a plain value)."""
    return str(value) if isinstance(value, LazyString) else value


def localized_setting(plugin: str, key: str, language: str | None = None) -> str:
    """A text setting in the reader's language (its companion), else the default-language value."""
    wanted = language or reader_language()
    if wanted != default_language():
        companion = translation_field_name(key, wanted)
        if companion in declared_settings().get(plugin, {}):
            text = get_setting(plugin, companion)
            if text.strip():
                return text
    return get_setting(plugin, key)


# --- Templates -------------------------------------------------------------------------------------------


def install_content_filters(app: Flask) -> None:
    """``{{ reward|localized("title") }}``, ``{{ reward|localized_bdi("title") }}`` and the staff helpers."""
    app.jinja_env.filters.update(localized=localized, localized_bdi=localized_markup)
    app.jinja_env.globals.update(
        missing_languages=missing_languages,
        content_language_name=language_name,
        written_translations=written_translations,
        translation_fields=translation_fields,
    )
