"""Languages: Persian pages are Persian and right-to-left, and the catalogues cover every string.

The page and mail tests take their expected text from the catalogue itself (``fa("Sign in")``), so a
translator may reword a translation without touching this file; what they check is that the reader
gets the catalogue's Persian, not the English source. The catalogue tests run Babel's extraction with
babel.cfg, exactly as ``pybabel extract`` does, so a new string nobody translated fails the suite.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from babel import support
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from portal.form_messages import wtforms_catalogue
from portal.testing import TEST_PASSWORD, UserRecord, post_form, read_outbox, text_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = PROJECT_ROOT / "portal" / "translations"
BABEL_CFG = PROJECT_ROOT / "babel.cfg"
CATALOGUES = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
LOCALES = [path.parent.parent.name for path in CATALOGUES]

# The keywords of the documented command: Babel's defaults plus ``-k _l`` (lazy_gettext).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
# A printf placeholder (%(name)s, %(max)d, %s) or an escaped percent sign (%%).
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[a-zA-Z%])"
)


@cache
def catalogue(locale: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def fa(msgid: str) -> str:
    """The Persian catalogue's translation of ``msgid`` (which must exist and be translated)."""
    message = catalogue("fa").get(msgid)
    assert message is not None and message.string, f"fa/messages.po has no translation of {msgid!r}"
    assert isinstance(message.string, str)
    return message.string


@cache
def extraction() -> tuple[dict[tuple[str, str | None], tuple[str, ...]], frozenset[str]]:
    """What a fresh ``pybabel extract -F babel.cfg -k _l .`` finds: messages by (msgid, context)
    with their singular and plural forms, and the files it found them in."""
    with BABEL_CFG.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(BABEL_CFG))
    found: dict[tuple[str, str | None], tuple[str, ...]] = {}
    files = set()
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        forms = message if isinstance(message, tuple) else (message,)
        assert all(forms), f"{filename}:{lineno} marks an empty string for translation"
        found[(forms[0], context)] = tuple(forms)
        files.add(filename.replace("\\", "/"))
    return found, frozenset(files)


@pytest.fixture(scope="module")
def compiled_catalogues() -> None:
    """Pages are translated from the .mo files, which are built (`make translations`), not committed."""
    for po in CATALOGUES:
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            pytest.fail(
                f"{mo.relative_to(PROJECT_ROOT)} is missing or older than its .po: run `make translations` "
                "(pybabel compile --use-fuzzy -d portal/translations) before the tests."
            )


def has_persian_layout(html: str) -> bool:
    return re.search(r'<html lang="fa" dir="rtl">', html) is not None


# --- Pages --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("compiled_catalogues")
def test_persian_customer_sees_a_persian_right_to_left_dashboard(
    client: FlaskClient, login_as: Callable[..., UserRecord]
) -> None:
    user = login_as("customer", language="fa")

    # The account's language wins over what the browser asks for.
    page = client.get("/dashboard", headers={"Accept-Language": "en"})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert has_persian_layout(html), html[:200]
    assert fa("Hello, %(name)s") % {"name": f"<bdi>{user.name}</bdi>"} in html
    for msgid in ("Dashboard", "Your portal is ready", "Sign out", "Skip to content"):
        assert fa(msgid) in html, msgid
    assert "Your portal is ready" not in html
    assert "Sign out" not in html


@pytest.mark.usefixtures("compiled_catalogues")
def test_persian_customer_sees_a_persian_account_page(
    client: FlaskClient, login_as: Callable[..., UserRecord]
) -> None:
    user = login_as("customer", language="fa")

    page = client.get("/account/", headers={"Accept-Language": "en"})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert has_persian_layout(html), html[:200]
    assert fa("Signed in as %(email)s.") % {"email": user.email} in html
    # Tabs, headings, the form's lazily translated labels and its hint all come from the catalogue.
    for msgid in (
        "Your account",
        "Profile",
        "Password",
        "Delete my account",
        "Name",
        "Language",
        "Time zone",
        "Times are shown in this zone.",
        "Save profile",
    ):
        assert fa(msgid) in html, msgid
    assert "Save profile" not in html
    assert "Your account" not in html


@pytest.mark.usefixtures("compiled_catalogues")
def test_english_customer_with_a_persian_browser_still_reads_english(
    client: FlaskClient, login_as: Callable[..., UserRecord]
) -> None:
    login_as("customer", language="en")

    html = client.get("/account/", headers={"Accept-Language": "fa"}).get_data(as_text=True)

    assert '<html lang="en" dir="ltr">' in html
    assert "Save profile" in html
    assert fa("Save profile") not in html


@pytest.mark.usefixtures("compiled_catalogues")
@pytest.mark.parametrize("accept_language", ["fa", "fa-IR,fa;q=0.9,en;q=0.8"])
def test_visitor_whose_browser_prefers_persian_gets_the_persian_login_page(
    client: FlaskClient, accept_language: str
) -> None:
    page = client.get("/login", headers={"Accept-Language": accept_language})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert has_persian_layout(html), html[:200]
    for msgid in (
        "Sign in",
        "Email address",
        "Password",
        "Keep me signed in on this device",
        "Forgot your password?",
        "Create an account",
    ):
        assert fa(msgid) in html, msgid
    assert "Forgot your password?" not in html
    assert "Keep me signed in on this device" not in html


@pytest.mark.usefixtures("compiled_catalogues")
@pytest.mark.parametrize("accept_language", ["en", "en-US,en;q=0.9", "de-DE,de;q=0.9", None])
def test_visitor_whose_browser_does_not_ask_for_persian_gets_the_english_login_page(
    client: FlaskClient, accept_language: str | None
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}

    page = client.get("/login", headers=headers)

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="en" dir="ltr">' in html
    assert "Forgot your password?" in html
    assert "Keep me signed in on this device" in html
    assert fa("Forgot your password?") not in html
    assert fa("Keep me signed in on this device") not in html


@pytest.mark.usefixtures("compiled_catalogues")
def test_persian_visitor_gets_form_errors_in_persian(client: FlaskClient) -> None:
    page = post_form(client, "/login", {"email": "", "password": ""}, headers={"Accept-Language": "fa"})

    html = page.get_data(as_text=True)
    assert has_persian_layout(html), html[:200]
    assert fa("Enter your email address.") in html
    assert fa("Please correct what is marked below; everything else you typed is kept.") in html


# --- Mail ---------------------------------------------------------------------------------------


@pytest.mark.usefixtures("compiled_catalogues")
def test_persian_visitor_who_registers_gets_a_persian_verification_email(
    app: Flask, client: FlaskClient
) -> None:
    response = post_form(
        client,
        "/register",
        {"name": "Sara Ahmadi", "email": "sara@example.com", "password": TEST_PASSWORD},
        headers={"Accept-Language": "fa"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    [message] = read_outbox(app)
    assert message["Subject"] == fa("Confirm your email address")
    assert message["Content-Language"] == "fa"
    text = text_of(message)
    assert fa("Hello %(name)s,") % {"name": "Sara Ahmadi"} in text
    assert fa("Please confirm your email address to finish creating your account:") in text
    assert fa("Confirm my email address") in text
    assert "/verify/" in text
    assert "Please confirm your email address" not in text
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert has_persian_layout(html), html[:200]
    assert fa("The link works once and for 48 hours. If you did not sign up, ignore this email.") in html


@pytest.mark.usefixtures("compiled_catalogues")
def test_mail_follows_the_account_language_not_the_browser(
    app: Flask, client: FlaskClient, make_user: Callable[..., UserRecord]
) -> None:
    user = make_user("customer", language="fa")

    response = post_form(client, "/forgot-password", {"email": user.email}, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True), "the page is in the browser's language"

    [message] = read_outbox(app)
    assert message["Subject"] == fa("Reset your password")
    assert fa("Use this link to choose a new password:") in text_of(message)


@pytest.mark.parametrize(("page_language", "mail_language"), [("en", "fa"), ("fa", "en")])
def test_text_in_another_language_within_a_request_reads_in_that_language(
    app: Flask, page_language: str, mail_language: str
) -> None:
    """The reader's catalogue is remembered for the request (portal.babel_state); a mail written in its
    recipient's language in the middle of a request must still get that language, in Python and in
    templates alike, and the page its own language again afterwards."""

    def in_language(language: str) -> str:
        return "Sign in" if language == "en" else fa("Sign in")

    def both_ways() -> tuple[str, str]:
        return gettext("Sign in"), str(render_template_string('{{ _("Sign in") }}'))

    with app.test_request_context("/", headers={"Accept-Language": page_language}):
        assert both_ways() == (in_language(page_language),) * 2
        with force_locale(mail_language):
            assert both_ways() == (in_language(mail_language),) * 2
        assert both_ways() == (in_language(page_language),) * 2


@pytest.mark.parametrize(
    ("source", "html", "text"),
    [
        ('{{ _("Fish & chips") }}', "Fish & chips", "Fish & chips"),
        ('{{ _("100%% sure") }}', "100% sure", "100% sure"),
        ('{{ _("%(name)s & co", name="<b>") }}', "&lt;b&gt; & co", "<b> & co"),
        ('{{ _("%(count)d tickets", count=1200) }}', "1,200 tickets", "1,200 tickets"),
    ],
)
def test_template_text_is_formatted_as_jinja_formats_it(
    app: Flask, source: str, html: str, text: str
) -> None:
    """A message's own words are trusted and its values escaped; ``%%`` is a percent sign whether or not
    the message has values (Jinja's new-style gettext), in HTML and in plain-text mail alike."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(source) == html
        assert app.jinja_env.overlay(autoescape=False).from_string(source).render() == text


# --- Catalogues ---------------------------------------------------------------------------------


def test_persian_catalogue_exists() -> None:
    assert "fa" in LOCALES, "portal/translations/fa/LC_MESSAGES/messages.po is missing"


def test_extraction_finds_the_portal_strings() -> None:
    """Guard the guard: if babel.cfg stopped matching files, the coverage test would pass vacuously."""
    found, files = extraction()
    for msgid in ("Sign in", "Keep me signed in on this device", "Please sign in to see that page."):
        assert (msgid, None) in found, f"{msgid!r} was not extracted: check babel.cfg"
    for wanted in (
        "portal/app.py",
        "portal/accounts/forms.py",
        "templates/layout.html",
        "templates/mail/verify_email.html",
        "templates/mail/verify_email.txt",
    ):
        assert wanted in files, f"babel.cfg does not extract {wanted}"
    assert not [name for name in files if name.startswith(("tests/", "node_modules/", ".venv/"))]


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_translates_every_extracted_string(locale: str) -> None:
    messages = catalogue(locale)
    untranslated = []
    for (msgid, context), forms in sorted(extraction()[0].items(), key=str):
        entry = messages.get(msgid, context=context)
        if entry is None or entry.fuzzy:
            untranslated.append(msgid)
            continue
        plural = isinstance(entry.string, tuple)
        strings = entry.string if plural else (entry.string,)
        if not all(strings) or plural != (len(forms) > 1):
            untranslated.append(msgid)
    assert not untranslated, (
        f"{len(untranslated)} string(s) have no {locale} translation; see docs/translating.md "
        "(extract, update, translate, compile):\n  " + "\n  ".join(untranslated)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_no_fuzzy_entries(locale: str) -> None:
    messages = catalogue(locale)
    assert not messages.fuzzy, f"the header of {locale}/messages.po is marked fuzzy"
    fuzzy = [message.id for message in messages if message.id and message.fuzzy]
    assert not fuzzy, f"review these {locale} entries and drop their fuzzy flag: {fuzzy}"


def _placeholders(text: str) -> Counter[str]:
    return Counter(match.group(0) for match in PLACEHOLDER.finditer(text) if match.group(0) != "%%")


def _has_lone_percent_sign(text: str) -> bool:
    return "%" in PLACEHOLDER.sub("", text)


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_every_placeholder(locale: str) -> None:
    problems = []
    for message in catalogue(locale):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        translations = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = _placeholders(sources[0])
        for translation in filter(None, translations):
            if _placeholders(translation) != expected:
                problems.append(f"{sources[0]!r}: {dict(expected)} became {dict(_placeholders(translation))}")
            if _has_lone_percent_sign(translation):
                # Jinja's new-style gettext always %-formats, so a lone % breaks the page; write %%.
                problems.append(f"{sources[0]!r}: lone % in {translation!r}")
    # Babel's own checks too (python-format placeholders of the same names and types, plural counts).
    for message, errors in catalogue(locale).check():
        problems.append(f"{message.id!r}: {'; '.join(map(str, errors))}")
    assert not problems, "\n".join(problems)


def test_persian_translations_use_persian_letters() -> None:
    """Persian keyboards type ی and ک; the Arabic ي and ك look alike but break search and sorting."""
    arabic = [message.id for message in catalogue("fa") if re.search("[\u064a\u0643]", str(message.string))]
    assert not arabic, f"use ی (U+06CC) and ک (U+06A9) in: {arabic}"


# --- WTForms' own messages ----------------------------------------------------------------------


class RequiredNameForm(FlaskForm):
    name = StringField(validators=[DataRequired()])


def test_wtforms_messages_are_in_the_readers_language_and_load_once_per_language(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A validator's own message ("This field is required.") is in the page's language, and its
    catalogue is read from disk once per language per worker, not on every request with a form."""
    loads: list[str] = []
    real_load = support.Translations.load

    def counted_load(*args: object, **kwargs: object) -> object:
        if kwargs.get("domain") == "wtforms":
            loads.append(str(args[1][0] if len(args) > 1 else kwargs["locales"][0]))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", counted_load)
    wtforms_catalogue.cache_clear()  # as in a new worker
    app.config["WTF_CSRF_ENABLED"] = False
    said = {}
    for language in ("fa", "en", "fa", "en", "fa"):
        with app.test_request_context("/", method="POST", data={}, headers={"Accept-Language": language}):
            form = RequiredNameForm()
            assert not form.validate()
            said[language] = form.name.errors[0]
    assert said == {"fa": "این فیلد اجباریست.", "en": "This field is required."}
    assert sorted(loads) == ["en", "fa"], "each language's catalogue is read once"
