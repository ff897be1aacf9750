"""A Persian customer's journey in a real browser, every page right to left and in Persian.

She signs up from a browser that asks for Persian, confirms by email, signs in, opens a ticket
written in English (kept apart from the Persian page around it), redeems a reward, answers a survey
and downloads a Persian PDF whose name keeps its zero-width non-joiner. Her dashboard then shows no
Latin digit outside code-like text.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import Browser, Page, expect

from plugins.documents.models import Document, DocumentTemplate, TemplateTranslation
from plugins.loyalty import ledger
from plugins.loyalty.models import Reward
from plugins.surveys import library
from portal.accounts.models import User
from portal.plugin import db, utcnow
from portal.testing import TEST_PASSWORD, read_outbox, text_of
from portal.testing.browser import STEP_TIMEOUT_MS, BrowserProblems, LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets", "loyalty", "surveys", "documents")]

NAME = "نسرین تهرانی"
EMAIL = "nasrin@example.com"
SUBJECT = "How do I change my delivery address?"
WELCOME_LETTER = "نامه خوش\u200cآمد"  # the zero-width non-joiner between خوش and آمد is part of the word
LETTER_FA = "<h1>{{ customer.name }} عزیز</h1><p>عضو از {{ customer.member_since }}.</p>"
# The text of <main> as a reader sees it: no attributes, and without <code> (voucher codes, references).
MAIN_TEXT = """() => {
  const main = document.querySelector("main").cloneNode(true);
  main.querySelectorAll("code, script, style, template").forEach((element) => element.remove());
  return main.textContent;
}"""


def fa(app: Flask, msgid: str, **values: object) -> str:
    """``msgid`` as the Persian catalogue says it, so the journey finds what a Persian reader reads."""
    with app.test_request_context(), force_locale("fa"):
        return gettext(msgid, **values)


def prepare(app: Flask) -> tuple[int, int]:
    """A reward, a survey for every customer and a letter for every customer; English-only where staff
    write text, as the portal had it before content in several languages."""
    with app.test_request_context():
        db.session.add(Reward(title="Coffee voucher", description="A coffee on us.", cost=100, stock=5))
        survey, questions = library.build("nps")
        survey.status = "published"
        survey.audience_key = "all-customers"
        survey.one_per_page = False
        db.session.add(survey)
        db.session.flush()
        for question in questions:
            question.survey_id = survey.id
            db.session.add(question)
        template = DocumentTemplate(name="Welcome", body="<p>Welcome, {{ customer.name }}.</p>")
        db.session.add(template)
        db.session.flush()
        db.session.add(TemplateTranslation(template_id=template.id, language="fa", body=LETTER_FA))
        document = Document(
            title=WELCOME_LETTER,
            category="contract",
            audience_key="all-customers",
            template_id=template.id,
            published=True,
            published_at=utcnow(),
        )
        db.session.add(document)
        db.session.commit()
        return survey.id, document.id


def submit(page: Page) -> None:
    """Press the main form's button (the footer's language buttons are a form too)."""
    page.locator("main form button[type=submit]").last.click()


def test_a_persian_customer_signs_up_asks_redeems_answers_and_downloads(
    app: Flask, live_server: LiveServer, browser: Browser, browser_problems: BrowserProblems, tmp_path: Path
) -> None:
    survey_id, document_id = prepare(app)
    context = browser.new_context(
        base_url=live_server.url,
        locale="fa-IR",
        viewport={"width": 1280, "height": 800},
        accept_downloads=True,
    )
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: browser_problems.page_errors.append(str(error)))

    # Sign up: the browser asks for Persian, so the form and the account are Persian.
    page.goto("/register")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_label(fa(app, "Name"), exact=True).fill(NAME)
    page.get_by_label(fa(app, "Email address")).fill(EMAIL)
    page.get_by_label(fa(app, "Password")).fill(TEST_PASSWORD)
    submit(page)
    expect(page.get_by_role("heading", name=fa(app, "Check your email"))).to_be_visible()
    [mail] = read_outbox(app)
    link = re.search(r"https?://\S+/verify/\S+", text_of(mail))
    assert link, text_of(mail)
    page.goto(link.group(0))
    expect(
        page.get_by_text(fa(app, "Thank you, your email address is confirmed. You can sign in now."))
    ).to_be_visible()
    page.get_by_label(fa(app, "Email address")).fill(EMAIL)
    page.get_by_label(fa(app, "Password")).fill(TEST_PASSWORD)
    submit(page)
    expect(page).to_have_url(f"{live_server.url}/dashboard")
    with app.app_context():
        person = db.session.query(User).filter_by(email=EMAIL).one()
        assert person.language == "fa", "the account keeps the language she signed up in"
        ledger.credit(person.id, 250, "earned")
        db.session.commit()

    # A ticket in English: its subject keeps its own direction inside the Persian page.
    page.goto("/tickets/new")
    page.locator("input[name=subject]").fill(SUBJECT)
    page.locator("select[name=category]").select_option(index=0)
    page.locator("textarea[name=body]").fill("I moved last week. Where do I write the new one?")
    submit(page)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(SUBJECT)
    isolated = heading.evaluate("(h) => h.getAttribute('dir') === 'auto' || h.querySelector('bdi') !== null")
    assert isolated, "an English subject on a Persian page is isolated (dir=auto or <bdi>)"
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    # A reward: the card asks first, then shows the voucher in place.
    page.goto("/loyalty/rewards")
    card = page.locator("#reward-1")
    card.locator("a.button").click()
    card.get_by_role("button", name=fa(app, "Yes, redeem")).click()
    before, after = fa(app, "Redeemed. Your voucher code is %(code)s.", code="\n").split("\n")
    redeemed = re.escape(before) + r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}" + re.escape(after)
    expect(card.get_by_role("status")).to_have_text(re.compile(redeemed))

    # A survey, asked in Persian.
    page.goto(f"/surveys/{survey_id}/")
    expect(
        page.get_by_text(fa(app, "How likely are you to recommend us to a friend or colleague?"))
    ).to_be_visible()
    page.locator("input[type=radio][value='9']").check()
    page.locator("button[name=action][value=submit]").click()
    expect(page.get_by_role("heading", name=fa(app, "Thank you"))).to_be_visible()

    # The Persian letter: a PDF, named as it is titled, zero-width non-joiner included.
    page.goto(f"/documents/{document_id}")
    download_link = page.locator(f"a[href$='/documents/{document_id}/download']").first
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    # Chromium's own file-name sanitiser replaces format characters, the ZWNJ among them, with "_"
    # when it saves; the name the portal sent (read from the header below) is exact.
    assert download.suggested_filename in (
        f"{WELCOME_LETTER}.pdf",
        f"{WELCOME_LETTER}.pdf".replace("\u200c", "_"),
    )
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")
    response = context.request.get(f"/documents/{document_id}/download")
    disposition = response.headers["content-disposition"]
    exact = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    assert exact and unquote(exact.group(1)) == f"{WELCOME_LETTER}.pdf", disposition
    assert response.body().startswith(b"%PDF-")

    # The dashboard afterwards: right to left, and every number in Persian digits.
    page.goto("/dashboard")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    main_text = page.evaluate(MAIN_TEXT)
    assert NAME in main_text
    assert re.findall(r"\S*[0-9]\S*", main_text) == [], "Latin digits on the Persian dashboard"
    page.screenshot(path=tmp_path / "persian-dashboard.png", full_page=True)
    context.close()
    assert browser_problems.all() == []
