"""Which text of a template a reader gets: the one in their language, else the template's own."""

from __future__ import annotations

from babel import Locale
from flask import current_app
from flask_babel import get_locale
from sqlalchemy import delete, select

from portal.plugin import db

from .models import DocumentTemplate, TemplateTranslation


def further_languages() -> dict[str, str]:
    """The deployment's languages besides the default, named in the reader's own language."""
    default = current_app.config["PORTAL_DEFAULT_LANGUAGE"]
    shown_in = get_locale() or Locale.parse(default)
    return {
        code: Locale.parse(code).get_display_name(shown_in) or code
        for code in current_app.config["PORTAL_LANGUAGES"]
        if code != default
    }


def direction_of(language: str) -> str:
    """``rtl`` for a language written right to left, as the PDF and the preview must set it."""
    try:
        return Locale.parse(language).text_direction
    except (ValueError, TypeError):
        return "ltr"


def translations_of(template_id: int) -> dict[str, str]:
    """Language code → body, for the template's edit page."""
    rows = db.session.execute(
        select(TemplateTranslation.language, TemplateTranslation.body).where(
            TemplateTranslation.template_id == template_id
        )
    ).all()
    return {row.language: row.body for row in rows}


def body_for(template: DocumentTemplate, language: str | None) -> str:
    """The text for a reader of ``language``: its translation when one is written, else the template's."""
    if language and language != current_app.config["PORTAL_DEFAULT_LANGUAGE"]:
        translated = db.session.scalar(
            select(TemplateTranslation.body).where(
                TemplateTranslation.template_id == template.id, TemplateTranslation.language == language
            )
        )
        if translated:
            return translated
    return template.body


def replace_translations(template: DocumentTemplate, bodies: dict[str, str]) -> None:
    """Keep exactly the non-empty ``bodies`` as the template's translations (in the caller's transaction)."""
    db.session.execute(delete(TemplateTranslation).where(TemplateTranslation.template_id == template.id))
    for language, body in bodies.items():
        if body.strip():
            db.session.add(TemplateTranslation(template_id=template.id, language=language, body=body))
