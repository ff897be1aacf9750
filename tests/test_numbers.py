"""Numbers in the reader's digits, signs on the right side, any digits accepted where a number is asked."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale, gettext, lazy_gettext, ngettext
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.validators import InputRequired, NumberRange

from plugins.tickets.models import Ticket
from portal import plugin
from portal.accounts.models import User
from portal.database import db, utcnow
from portal.notifications.service import notify
from portal.numbers import ascii_digits, format_number, format_percent_value, parse_integer
from portal.testing import post_form, read_outbox, text_of

LRM = "\u200e"


@pytest.mark.parametrize(
    ("value", "english", "persian"),
    [
        (0, "0", "۰"),
        (7, "7", "۷"),
        (1250, "1,250", "۱٬۲۵۰"),
        (1234567, "1,234,567", "۱٬۲۳۴٬۵۶۷"),
        (10**12, "1,000,000,000,000", "۱٬۰۰۰٬۰۰۰٬۰۰۰٬۰۰۰"),
        (1.5, "1.5", "۱٫۵"),
        (Decimal("2.25"), "2.25", "۲٫۲۵"),
        (-100, "-100", LRM + "−۱۰۰"),
    ],
)
def test_numbers_in_english_and_persian(value: int, english: str, persian: str) -> None:
    assert format_number(value, locale="en") == english
    assert format_number(value, locale="fa") == persian


def test_a_change_carries_its_sign_left_of_the_number_in_persian() -> None:
    """ "+100" read "100+" in a Persian page; the left-to-right mark before the sign keeps it in place."""
    assert format_number(100, locale="en", signed=True) == "+100"
    assert format_number(100, locale="fa", signed=True) == LRM + "+۱۰۰"
    assert format_number(-50, locale="fa", signed=True) == LRM + "−۵۰"
    assert format_number(0, locale="fa", signed=True) == "۰"


def test_references_are_not_grouped_and_styles_fix_the_decimals() -> None:
    assert format_number(12345, locale="fa", grouping=False) == "۱۲۳۴۵"
    assert format_number(2.345, "decimal", locale="en") == "2.3"
    assert format_number(2.6, "integer", locale="fa") == "۳"
    assert format_number(3, locale="en", fraction_digits=2) == "3.00"


@pytest.mark.parametrize(
    ("share", "english", "persian"),
    [(0.25, "25%", "۲۵٪"), (1, "100%", "۱۰۰٪"), (0, "0%", "۰٪"), (-0.5, "-50%", LRM + "−۵۰٪")],
)
def test_percentages(share: float, english: str, persian: str) -> None:
    assert format_percent_value(share, locale="en") == english
    assert format_percent_value(share, locale="fa") == persian


def test_percent_with_decimals() -> None:
    assert format_percent_value(0.4567, locale="en", fraction_digits=1) == "45.7%"
    assert format_percent_value(0.4567, locale="fa", fraction_digits=1) == "۴۵٫۷٪"


def test_the_reader_decides_without_a_locale(app: Flask) -> None:
    with app.test_request_context(), force_locale("fa"):
        assert format_number(42) == "۴۲"
    with app.test_request_context(), force_locale("en"):
        assert format_number(42) == "42"


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("12", 12),
        ("۱۲", 12),
        ("١٢", 12),
        (" ۱۲ ", 12),
        ("۱٬۲۰۰", 1200),
        ("1,200", 1200),
        ("-3", -3),
        (LRM + "−۳", -3),
        ("+۵", 5),
    ],
)
def test_typed_numbers_in_any_digits(typed: str, number: int) -> None:
    assert parse_integer(typed) == number


@pytest.mark.parametrize("typed", ["", "-", "1.5", "abc", "۱۲a", "²", "1 2 3 x", None])
def test_what_is_not_a_whole_number(typed: str | None) -> None:
    assert parse_integer(typed) is None


def test_ascii_digits_reads_both_eastern_systems() -> None:
    assert ascii_digits("سفارش ۱۲۳ و ٤٥٦") == "سفارش 123 و 456"


# ---- numbers inside translated sentences --------------------------------------------------------


def test_placeholders_in_python_gettext_use_the_readers_digits(app: Flask) -> None:
    with app.test_request_context(), force_locale("fa"):
        assert "۱۲" in ngettext("You have %(num)d open ticket.", "You have %(num)d open tickets.", 12)
        assert "12" not in ngettext("You have %(num)d open ticket.", "You have %(num)d open tickets.", 12)
        assert "۱٬۵۰۰" in str(lazy_gettext("%(points)d points expire soon", points=1500))
    with app.test_request_context(), force_locale("en"):
        assert gettext("%(points)d points expire soon", points=1500) == "1,500 points expire soon"
        assert gettext("Job %(id)d runs again now.", id=12345) == "Job 12345 runs again now."
        assert gettext("The balance is adjusted by %(points)+d points.", points=40).startswith(
            "The balance is adjusted by +40"
        )


def test_placeholders_in_templates_use_the_readers_digits(app: Flask) -> None:
    source = (
        '{{ ngettext("%(num)d point", "%(num)d points", n) }}|'
        '{{ _("Select ticket %(id)d", id=t) }}|{{ _("%(name)s", name=s) }}'
    )
    with app.test_request_context(), force_locale("fa"):
        rendered = render_template_string(source, n=1200, t=1234, s="R2-D2 <b>")
    points, ticket, name = rendered.split("|")
    assert "۱٬۲۰۰" in points
    assert "۱۲۳۴" in ticket
    assert name == "R2-D2 &lt;b&gt;", "text placeholders are left as written, and escaped"


def test_template_filters(app: Flask) -> None:
    source = "{{ 1250|number }} {{ 40|signed }} {{ 0.25|percent }} {{ 1234|number(False) }} {{ x|number }}"
    with app.test_request_context(), force_locale("fa"):
        assert render_template_string(source, x=None) == f"۱٬۲۵۰ {LRM}+۴۰ ۲۵٪ ۱۲۳۴ "
    with app.test_request_context(), force_locale("en"):
        assert render_template_string(source, x=None) == "1,250 +40 25% 1234 "


def test_plugins_get_the_helpers_from_the_contract() -> None:
    assert plugin.format_number is format_number
    assert plugin.format_percent_value is format_percent_value
    assert plugin.parse_integer is parse_integer
    assert plugin.ascii_digits is ascii_digits


# ---- forms --------------------------------------------------------------------------------------


class PointsForm(FlaskForm):
    points = plugin.LocalizedIntegerField("Points", validators=[InputRequired(), NumberRange(min=1, max=100)])


@pytest.mark.parametrize("typed", ["12", "۱۲", "١٢"])
def test_a_number_field_takes_persian_and_arabic_digits(app: Flask, typed: str) -> None:
    with app.test_request_context(method="POST"):
        form = PointsForm(formdata=MultiDict({"points": typed}), meta={"csrf": False})
        assert form.validate(), form.errors
        assert form.points.data == 12


def test_a_number_field_refuses_words_with_a_message(app: Flask) -> None:
    with app.test_request_context(method="POST"), force_locale("en"):
        form = PointsForm(formdata=MultiDict({"points": "twelve"}), meta={"csrf": False})
        assert not form.validate()
        assert "whole number" in " ".join(form.points.errors)
        assert 'value="twelve"' in str(form.points()), "what was typed stays in the field to correct"


def test_a_number_field_shows_its_value_in_the_readers_digits_on_a_text_input(app: Flask) -> None:
    """A number input would empty itself of "۱۲"; a text input with a numeric keyboard keeps it."""
    with app.test_request_context(), force_locale("fa"):
        rendered = str(PointsForm(data={"points": 1500}, meta={"csrf": False}).points())
    assert 'value="۱۵۰۰"' in rendered
    assert 'type="text"' in rendered
    assert 'inputmode="numeric"' in rendered


# ---- mail ---------------------------------------------------------------------------------------


def test_a_persian_notification_mail_writes_its_numbers_in_persian_digits(app: Flask, make_user) -> None:
    """The title is translated for the recipient when the mail is written, and its number with it."""
    user = make_user(language="fa", name="Nasrin")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        recipient = db.session.get(User, user.id)
        notify(recipient, "core.account", lazy_gettext("%(points)d points expire soon", points=1500))
        db.session.commit()
    [mail] = read_outbox(app)
    text, subject = text_of(mail), str(mail["Subject"])
    assert "۱٬۵۰۰" in subject and "۱٬۵۰۰" in text
    assert "1500" not in subject + text and "1,500" not in subject + text
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "۱٬۵۰۰" in html
    assert "<bdi>Nasrin</bdi>" in html, "the recipient's name is isolated in the greeting"


# ---- numbers in query strings -------------------------------------------------------------------


@pytest.mark.plugins("tickets")
def test_staff_filter_a_queue_by_an_id_typed_in_persian_digits(
    app: Flask, client, make_user, login_as
) -> None:
    customer = make_user(name="Queue Customer")
    agent = login_as("agent")
    with app.app_context():
        ticket = Ticket(
            customer_id=customer.id,
            subject="Parcel lost",
            category="question",
            priority="normal",
            status="open",
            assignee_id=agent.id,
            first_response_due=utcnow() + timedelta(hours=24),
            resolution_due=utcnow() + timedelta(days=5),
        )
        db.session.add(ticket)
        db.session.commit()
    typed = format_number(agent.id, locale="fa", grouping=False)
    for assignee in (str(agent.id), typed, ascii_to_arabic_indic(str(agent.id))):
        page = client.get(f"/staff/tickets/?assignee={assignee}")
        assert page.status_code == 200
        assert "Parcel lost" in page.get_data(as_text=True), assignee
    for odd in ("²", "١²", "۱۲۳۴۵۶۷۸۹۰۱۲"):
        assert client.get(f"/staff/tickets/?assignee={odd}").status_code == 200, odd


def ascii_to_arabic_indic(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


@pytest.mark.plugins("documents")
def test_a_template_choice_that_is_not_a_number_is_an_error_on_the_form(client, login_as) -> None:
    """A superscript two passed ``str.isdigit`` and broke ``int()``: a 500, not "Choose a template"."""
    login_as("admin")
    data = {
        "title": "Welcome",
        "category": "invoice",
        "audience": "segment",
        "segment": "all-customers",
        "template": "²",
        "publish_now": "y",
    }
    response = post_form(client, "/staff/documents/new", data)
    assert response.status_code in (200, 400, 422)
    assert "Choose a template from the list." in response.get_data(as_text=True)


def test_a_negative_number_rounded_to_zero_has_no_sign() -> None:
    assert format_number(-0.2, locale="fa", fraction_digits=0) == "۰"
    assert format_percent_value(-0.001, locale="en") == "0%"
