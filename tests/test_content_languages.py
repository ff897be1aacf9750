"""Staff-written content in each enabled language: reading with fallback, staff forms, what is missing."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Flask, render_template_string
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.content_languages import (
    in_each_language,
    localized,
    localized_markup,
    missing_languages,
    store_translations,
    translatable_form,
    translation_data,
)


class RewardLikeForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=20)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=50)])


def gift(**translations: dict[str, str]) -> SimpleNamespace:
    return SimpleNamespace(title="Gift card", description="For any shop", translations=translations or None)


def test_reader_gets_their_language_and_falls_back_to_the_default(app: Flask):
    card = gift(fa={"title": "کارت هدیه", "description": "  "})
    with app.test_request_context(headers={"Accept-Language": "fa"}):
        assert localized(card, "title") == "کارت هدیه"
        # Blank means "not translated": the default text, not an empty line.
        assert localized(card, "description") == "For any shop"
        assert localized(gift(), "title") == "Gift card"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert localized(card, "title") == "Gift card"
        assert localized(card, "title", "fa") == "کارت هدیه"
        # A language the portal does not offer reads the default text.
        assert localized(card, "title", "de") == "Gift card"


def test_a_mail_written_under_force_locale_uses_the_recipients_language(app: Flask):
    card = gift(fa={"title": "کارت هدیه"})
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with force_locale("fa"):
            assert localized(card, "title") == "کارت هدیه"
            assert render_template_string('{{ card|localized("title") }}', card=card) == "کارت هدیه"
        assert render_template_string('{{ card|localized("title") }}', card=card) == "Gift card"


def test_a_fallback_inside_a_persian_page_is_isolated_and_marked_english(app: Flask):
    with app.test_request_context(headers={"Accept-Language": "fa"}):
        assert str(localized_markup(gift(fa={"title": "کارت <هدیه>"}), "title")) == (
            "<bdi>کارت &lt;هدیه&gt;</bdi>"
        )
        assert str(localized_markup(gift(), "title")) == '<bdi lang="en" dir="ltr">Gift card</bdi>'


def test_staff_form_has_a_field_per_further_language_with_the_same_limits(app: Flask):
    card = gift(fa={"title": "کارت هدیه"})
    with app.test_request_context(headers={"Accept-Language": "en"}):
        form_class = translatable_form(RewardLikeForm, ["title", "description"])
        form = form_class(
            meta={"csrf": False}, obj=card, data=translation_data(card, ["title", "description"])
        )
        assert [field.name for field in form] == ["title", "title_fa", "description", "description_fa"]
        html = str(form.title_fa())
        assert 'lang="fa"' in html and 'dir="rtl"' in html and 'value="کارت هدیه"' in html
        assert str(form.title_fa.label.text) == "Title (فارسی)"

        too_long = form_class(
            formdata=MultiDict({"title": "Gift card", "title_fa": "ک" * 21}), meta={"csrf": False}
        )
        assert not too_long.validate()
        assert too_long.errors == {"title_fa": [_("Field cannot be longer than %(max)d characters.", max=20)]}

        # The translation is optional: empty means "not translated yet".
        posted = form_class(
            formdata=MultiDict({"title": "Voucher", "title_fa": " کوپن ", "description_fa": ""}),
            meta={"csrf": False},
        )
        assert posted.validate(), posted.errors
        store_translations(posted, card)
        assert card.translations == {"fa": {"title": "کوپن"}}

        cleared = form_class(formdata=MultiDict({"title": "Voucher"}), meta={"csrf": False})
        assert cleared.validate()
        store_translations(cleared, card)
        assert card.translations == {}


def test_missing_languages_and_the_staff_badge(app: Flask):
    half = gift(fa={"title": "کارت هدیه"})
    whole = gift(fa={"title": "کارت هدیه", "description": "برای هر فروشگاه"})
    # A field with no default text needs no translation either.
    bare = SimpleNamespace(title="Gift card", description="", translations={"fa": {"title": "کارت"}})
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert missing_languages(half, ["title", "description"]) == ["fa"]
        assert missing_languages(whole, ["title", "description"]) == []
        assert missing_languages(bare, ["title", "description"]) == []
        badge = render_template_string(
            '{% from "macros/content.html" import content_missing %}{{ content_missing(item, ["title"]) }}',
            item=gift(),
        )
        assert "Persian missing" in badge
        assert "missing" not in render_template_string(
            '{% from "macros/content.html" import content_missing %}{{ content_missing(item, ["title"]) }}',
            item=whole,
        )


def test_content_built_from_the_catalogue_is_born_in_every_language(app: Flask):
    with app.app_context():
        default, others = in_each_language(lambda: _("Thank you"))
    assert default == "Thank you"
    assert set(others) == {"fa"} and others["fa"] != "Thank you"


def test_staff_see_each_translation_as_typed_under_the_default_text(app: Flask):
    typed = gift(fa={"title": "<b>کارت</b> {{7*191}}", "description": "خط یک\nخط دو"})
    listing = '{% from "macros/content.html" import translations_list %}{{ translations_list(item, fields) }}'
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = render_template_string(listing, item=typed, fields=["title", "description"])
        untranslated = render_template_string(listing, item=gift(), fields=["title", "description"])
    assert "<dt>Persian</dt>" in html
    assert '<dd lang="fa" dir="auto">&lt;b&gt;کارت&lt;/b&gt; {{7*191}}</dd>' in html
    assert '<dd lang="fa" dir="auto">خط یک\nخط دو</dd>' in html
    assert untranslated.strip() == ""


class MessageLikeForm(FlaskForm):
    texts_as_typed = ("body",)
    title = StringField("Title", validators=[DataRequired()])
    body = TextAreaField("Body", validators=[DataRequired()])


def test_a_translation_keeps_whitespace_exactly_when_its_default_text_does(app: Flask):
    message = SimpleNamespace(title="Hi", body="  Indented\n", translations=None)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        form_class = translatable_form(MessageLikeForm, ["title", "body"])
        posted = form_class(
            formdata=MultiDict({"title": "Hi", "title_fa": " سلام ", "body": "x", "body_fa": "  تو رفته\n"}),
            meta={"csrf": False},
        )
        store_translations(posted, message)
        assert message.translations == {"fa": {"title": "سلام", "body": "  تو رفته\n"}}
        blank = form_class(
            formdata=MultiDict({"title": "Hi", "body": "x", "body_fa": " \n "}), meta={"csrf": False}
        )
        store_translations(blank, message)
        assert message.translations == {}
