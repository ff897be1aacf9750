"""No page grows wider than the screen: long words, long URLs and tables fit a phone and a laptop.

Customers paste tracking URLs and write subjects without spaces; organizations have long names. One
such string used to make a ticket page 4,008 px wide, and tables stuck out of phones. This walks every
main customer and staff page, with that kind of data, at a phone's and a laptop's width, in English
and in Persian (right to left), and names each page that scrolls sideways and the element that sticks
out.
"""

from __future__ import annotations

import io
import uuid

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import update
from werkzeug.datastructures import FileStorage

from plugins.documents import publishing
from plugins.documents.models import Document
from plugins.documents.settings import categories as document_categories
from plugins.loyalty import ledger, rewards
from plugins.loyalty.models import Reward
from plugins.surveys import answering as survey_answering
from plugins.surveys.models import Invitation, Question, Survey
from plugins.tickets import attachments
from plugins.tickets import service as ticket_service
from plugins.tickets.settings import categories as ticket_categories
from portal.accounts.models import User
from portal.database import db, utcnow
from portal.organizations.membership import add_member, create_organization
from portal.passwords import hash_password
from portal.testing import TEST_PASSWORD
from portal.testing.browser import LiveServer, watch_csp

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets", "loyalty", "documents", "surveys")]

SUBJECT = ("Replacementpartfororder" * 8)[:180]  # 180 characters and not one space
URL = (
    "https://tracking.example.com/shipments/" + "a1b2c3d4e5f6" * 12 + "?utm_source=portal&session=" + "f" * 64
)
LONG_NAME = "Maximilianusbartholomaeusfeatherstonehaughvanderbiltssonjunior"
LONG_WORD = "Supercalifragilisticexpialidocious" * 4
SIZES = {"phone": (390, 844), "laptop": (1366, 900)}
LANGUAGES = ("en", "fa")

CUSTOMER_PAGES = [
    "/dashboard",
    "/tickets/",
    "/tickets/{ticket}",
    "/tickets/new",
    "/loyalty/",
    "/loyalty/rewards",
    "/loyalty/vouchers",
    "/documents/",
    "/documents/{document}",
    "/surveys/",
    "/surveys/{open_survey}/",
    "/notifications",
    "/account/",
    "/organization/",
]
STAFF_PAGES = [
    "/staff/",
    "/staff/tickets/",
    "/staff/tickets/{ticket}",
    "/staff/customers/",
    "/staff/customers/{customer}",
    "/staff/loyalty/",
    "/staff/documents/",
    "/staff/documents/{document}",
    "/staff/surveys/",
    "/staff/surveys/{answered_survey}/results",
    "/staff/organizations/",
    "/staff/audit",
    "/staff/plugins",
    "/staff/operations/",
]

# Whether the document scrolls sideways, and if it does, the innermost elements that stick out.
MEASURE = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth <= width) return null;
  const outside = [...document.body.querySelectorAll("*")].filter((element) => {
    const box = element.getBoundingClientRect();
    const partlyInView = box.right > 0 && box.left < width;  // not hidden off-screen on purpose (skip link)
    return box.width > 0 && partlyInView && (box.right > width + 1 || box.left < -1);
  });
  const innermost = outside.filter(
    (element) => !outside.some((other) => other !== element && element.contains(other)));
  const names = innermost.slice(0, 3).map((element) =>
    element.tagName.toLowerCase() + (element.className && typeof element.className === "string"
      ? "." + element.className.trim().split(/\\s+/).join(".") : ""));
  return `${root.scrollWidth} px wide in ${width} px (sticking out: ${names.join(", ")})`;
}"""


def _person(role: str, name: str, email: str | None = None) -> User:
    user = User(
        email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.com",
        name=name,
        role=role,
        password_hash=hash_password(TEST_PASSWORD),
        email_verified_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def _upload(content: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=filename)


def build_long_data(app: Flask) -> dict[str, object]:
    """One of everything the pages show, each with text that has no place to break."""
    with app.test_request_context():
        local_part = ("averyveryverylongmailboxname" * 3)[:64]
        customer = _person("customer", LONG_NAME, f"{local_part}@{'subdomain' * 4}.example.com")
        member = _person("customer", LONG_NAME[::-1], f"{local_part[::-1]}@example.com")
        admin = _person("admin", "Administrator" + LONG_NAME)
        organization = create_organization(("Internationalconglomerate" * 5)[:120], "company", actor_id=None)
        add_member(organization, customer, "manager", actor_id=None, via="test")
        add_member(organization, member, "member", actor_id=None, via="test")

        ticket, message = ticket_service.open_ticket(
            customer,
            subject=SUBJECT,
            body=f"The parcel never came. Tracking: {URL}\n\n{LONG_WORD}",
            category=ticket_categories()[0],
            priority="normal",
        )
        assert attachments.save(message, [_upload(b"photo\n", f"{LONG_WORD[:120]}.txt")]) == []
        ticket_service.add_reply(ticket, admin, f"Here is where it is: {URL}")
        ticket_service.add_reply(ticket, admin, f"Internal: {URL}", internal=True)

        ledger.credit(
            customer.id, 900, "goodwill", reason=f"Sorry about {SUBJECT}", source=f"layout:{customer.id}"
        )
        reward = Reward(title=LONG_WORD[:120], description=f"{LONG_WORD} {URL}", cost=100, stock=10)
        db.session.add(reward)
        db.session.flush()
        rewards.redeem(customer.id, reward.id, "layout")

        document = Document(
            title=("Servicecontract" * 20)[:200],
            description=f"{LONG_WORD} {URL}",
            category=document_categories()[0],
            created_by=admin.id,
            audience_customer_id=customer.id,
        )
        db.session.add(document)
        db.session.flush()
        publishing.store_upload(_upload(b"contract\n", f"{LONG_WORD[:200]}.txt"), document, admin.id)
        publishing.publish(document, admin)

        answered = _survey(f"Answered{LONG_WORD}"[:200], customer)
        question = answered.questions[0]
        response = survey_answering.get_or_start_response(answered.survey, customer.id)
        survey_answering.save_answers(
            response, answered.questions, {f"q{question.id}": [f"{URL} {LONG_WORD}"]}
        )
        survey_answering.submit(answered.survey, response, customer.id)
        unanswered = _survey(f"Open{LONG_WORD}"[:200], customer)
        db.session.commit()
        ids = {
            "customer": customer.id,
            "admin": admin.id,
            "ticket": ticket.id,
            "document": document.id,
            "answered_survey": answered.survey.id,
            "open_survey": unanswered.survey.id,
            "customer_email": customer.email,
            "admin_email": admin.email,
        }
        db.session.remove()
    return ids


class _BuiltSurvey:
    def __init__(self, survey: Survey, questions: list[Question]) -> None:
        self.survey = survey
        self.questions = questions


def _survey(title: str, customer: User) -> _BuiltSurvey:
    survey = Survey(title=title, intro=f"{LONG_WORD} {URL}", status="published")
    db.session.add(survey)
    db.session.flush()
    question = Question(
        survey_id=survey.id, kind="short_text", text=f"{LONG_WORD}?", required=False, help=URL
    )
    invitation = Invitation(survey_id=survey.id, customer_id=customer.id, status="sent", sent_at=utcnow())
    db.session.add_all([question, invitation])
    db.session.flush()
    return _BuiltSurvey(survey, [question])


def _set_language(app: Flask, language: str) -> None:
    with app.app_context():
        db.session.execute(update(User).values(language=language))
        db.session.commit()
        db.session.remove()


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/login" not in url)


def _too_wide(page: Page, path: str, language: str) -> list[str]:
    """Each width at which ``path`` scrolls sideways, described for the failure message.

    The page is loaded once and measured at each width: media queries apply on resize, as on a phone
    turned sideways, and one load per page keeps the walk short.
    """
    page.goto(path)
    if page.locator('[hx-trigger="load"]').count():  # dashboard widgets fill themselves in
        page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == language, f"{path} is not in {language}"
    problems = []
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate(MEASURE)
        if overflow:
            problems.append(f"{path} at {size} {width}×{height} in {language}: {overflow}")
    return problems


def test_no_page_is_wider_than_the_screen(app: Flask, live_server: LiveServer, browser: Browser) -> None:
    data = build_long_data(app)
    problems: list[str] = []
    blocked: list[str] = []
    for language in LANGUAGES:
        _set_language(app, language)
        for email, pages in ((data["customer_email"], CUSTOMER_PAGES), (data["admin_email"], STAFF_PAGES)):
            context = browser.new_context(base_url=live_server.url, locale=language)
            context.set_default_timeout(10_000)
            watch_csp(context, blocked)
            page = context.new_page()
            _sign_in(page, str(email))
            for template in pages:
                problems += _too_wide(page, template.format(**data), language)
            context.close()
    assert problems == [], "pages wider than the screen:\n" + "\n".join(problems)
    assert blocked == [], "the Content Security Policy blocked:\n" + "\n".join(blocked)


def test_a_list_becomes_labelled_cards_on_a_phone(
    app: Flask, live_server: LiveServer, browser: Browser, make_user
) -> None:
    customer = make_user(name="Leila Karimi")
    with app.test_request_context():
        ticket_service.open_ticket(
            db.session.get(User, customer.id),
            subject="My order arrived broken",
            body="The glass was cracked.",
            category=ticket_categories()[0],
            priority="normal",
        )
        db.session.commit()
        db.session.remove()
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    _sign_in(page, customer.email)
    page.goto("/tickets/")
    status = page.locator("td[data-label]").filter(has_text="New").first
    label = "(cell) => getComputedStyle(cell, '::before').content"
    assert status.evaluate(label) == "none", "on a wide screen the column heading says it"

    page.set_viewport_size({"width": 390, "height": 844})
    assert (
        page.locator("table.stacked tbody tr").first.evaluate("(row) => getComputedStyle(row).display")
        == "block"
    )
    assert status.evaluate(label) == '"Status"', "on a phone each cell says which column it is"
    context.close()
