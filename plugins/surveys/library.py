"""Ready-made surveys: NPS, CSAT after a ticket and an ACSI-style survey of five factors, scored 1 to 10."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from portal.plugin import in_each_language, set_translations

from .models import Question, Survey

TEMPLATE_NAMES = ("nps", "csat_ticket", "acsi", "blank")


def template_labels() -> list[tuple[str, str]]:
    return [
        ("nps", _("Net Promoter Score (NPS)")),
        ("csat_ticket", _("Satisfaction after a resolved ticket (CSAT)")),
        ("acsi", _("Customer satisfaction index (ACSI-style, five factors)")),
        ("blank", _("Blank survey")),
    ]


def _question(kind: str, text: str, help_text: str = "", required: bool = True, **extra: object) -> Question:
    return Question(kind=kind, text=text, help=help_text, required=required, **extra)


def build(template: str, title: str | None = None) -> tuple[Survey, list[Question]]:
    """A new draft survey from a template, with its questions in order; the caller adds and commits.

    The texts are the catalogue's in the default language, with the catalogue's other languages as
    the translations, so a Persian customer reads a ready-made survey in Persian from the start. A
    title staff typed is theirs, in the default language only.
    """
    (survey, questions), others = in_each_language(lambda: _build(template, title))
    survey_texts = ("intro",) if title else ("title", "intro")
    set_translations(survey, {code: _texts(built, survey_texts) for code, (built, _qs) in others.items()})
    for position, question in enumerate(questions):
        set_translations(
            question,
            {
                code: _texts(built[position], ("text", "help", "options"))
                for code, (_s, built) in others.items()
            },
        )
    return survey, questions


def _texts(obj: Survey | Question, fields: tuple[str, ...]) -> dict[str, str]:
    return {field: getattr(obj, field) or "" for field in fields}


def _build(template: str, title: str | None) -> tuple[Survey, list[Question]]:
    if template == "nps":
        survey = Survey(title=title or _("How likely are you to recommend us?"), template="nps")
        questions = [
            _question(
                "nps",
                _("How likely are you to recommend us to a friend or colleague?"),
                _("0 means not at all likely, 10 extremely likely."),
            ),
            _question("long_text", _("What is the main reason for your score?"), required=False),
        ]
    elif template == "csat_ticket":
        survey = Survey(
            title=title or _("How did we do with your request?"),
            template="csat_ticket",
            trigger_event="tickets.resolved",
            trigger_delay_hours=2,
        )
        questions = [
            _question(
                "csat",
                _("How satisfied are you with how we handled your request?"),
                _("1 means very dissatisfied, 5 very satisfied."),
            ),
            _question("long_text", _("Anything we could have done better?"), required=False),
        ]
    elif template == "acsi":
        survey = Survey(title=title or _("Your overall satisfaction"), template="acsi")
        scale: dict[str, Any] = {"scale_max": 10}
        questions = [
            _question(
                "rating",
                _("How well do our products and services compare with your ideal?"),
                _("1 means far from ideal, 10 exactly your ideal."),
                **scale,
            ),
            _question("rating", _("How likely are you to buy from us again?"), **scale),
            _question("rating", _("How reliable are our products and services?"), **scale),
            _question("rating", _("How do you rate the quality, given the price?"), **scale),
            _question("rating", _("How do you rate the price, given the quality?"), **scale),
        ]
    else:
        survey = Survey(title=title or _("New survey"), template=None)
        questions = []
    for position, question in enumerate(questions):
        question.position = position
    return survey, questions
