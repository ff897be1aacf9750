"""Naughty strings through every text field of every form: no 5xx, exact round trip, escaped everywhere.

The forms are found by crawling the portal as each kind of visitor (``form_crawler``), so a form a
plugin adds is fuzzed without anyone listing it. Each text, search and textarea field gets every
string of the dangerous categories of ``data/naughty_strings.txt`` and a few of the others (a
different few for each field, so together they cover the file), with the values the page pre-fills
(or a plain valid value) in the other fields and a valid CSRF token. Then:

- no answer is a server error;
- nothing the string carries runs: no injected element or attribute, no evaluated template;
- a POST the portal accepted shows the text back exactly (HTML-escaped) on the page it leads to or on
  the form's own page; Markdown fields keep every word; a refused one says why on the page.

Before fuzzing, each form is sent once with plain values and must be accepted (unless it is listed in
``REFUSED_WITH_PLAIN_VALUES``), so the round trip is really checked and not silently skipped.
"""

from __future__ import annotations

import re
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from form_crawler import ID_IN_PATH, TEXT_TYPES, Field, Form, crawl
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from plugins.surveys.models import Invitation, Question, Survey
from plugins.tickets import service
from plugins.tickets.settings import categories
from portal.accounts.models import User, find_user_by_email
from portal.database import db, utcnow
from portal.demo import load_demo_data
from portal.passwords import hash_password
from portal.settings import set_setting
from portal.testing import TEST_PASSWORD, create_user, csrf_token, log_in
from portal.testing.fixtures import BACKENDS

pytestmark = pytest.mark.plugins(
    "tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter", "insights", "example"
)

STRINGS_FILE = Path(__file__).parent / "data" / "naughty_strings.txt"
OTHERS_PER_FIELD = 3
PLAIN_TEXT = "Plain words 42"
# Visitors in the order their forms are claimed: a form two of them see is fuzzed by the first.
VISITORS = (
    ("anonymous", None, ("/", "/register/check-email")),
    ("customer", "sara@example.com", ("/",)),
    ("customer without organization", "fresh", ("/organization/",)),
    ("agent", "agent@example.com", ("/",)),
    ("admin", "admin@example.com", ("/",)),
)
# Plain values for fields whose plain text would be refused: by field name, and by form and field.
PLAIN_BY_NAME = {"amount": "10", "points": "5", "cost": "100", "stock": "10"}
# Whole-number fields (portal.number_fields): text inputs, so any digits can be typed; a number they
# accept is shown back as that number in the reader's digits ("١٢" comes back "12"), not as typed.
NUMBER_FIELDS = {
    "per_customer_limit": "1",
    "cap_count": "",  # no cap: a cap needs its period chosen too
    "trigger_delay_hours": "0",
    "wait_days_override": "7",
    "scale_max": "5",
    "minutes": "30",
    "capacity": "4",
}
PLAIN_BY_NAME.update(NUMBER_FIELDS)
FIRST_REAL_CHOICE = "<the first choice that is not empty>"
PLAIN_BY_FIELD = {
    "POST /staff/organizations/ manager_email": "founder@example.com",
    "POST /staff/organizations/#/managers email": "manager@example.com",
    "POST /staff/documents/new template": FIRST_REAL_CHOICE,
    "POST /tickets/#/rate rating": "5",  # a scale with nothing chosen for the customer
    "POST /staff/documents/new category": FIRST_REAL_CHOICE,
    "POST /staff/documents/new audience": "segment",
    "POST /staff/documents/new segment": FIRST_REAL_CHOICE,
    # One rule per event, and the built-in events have theirs: an event nobody earns from yet.
    "POST /staff/loyalty/earning-rules/new event_name": "tickets.created",
    # A token needs some access; "No access" everywhere is refused with the reason beside the choices.
    "POST /account/api-tokens/ scope_account": "read",
    # A public address written as one, so no name lookup is needed, and an event the walk never causes,
    # so nothing is sent to it.
    "POST /staff/webhooks/new url": "https://93.184.216.34/portal-hook",
    "POST /staff/webhooks/new events": "core.email_verified",
    "POST /staff/webhooks/#/edit events": "core.email_verified",
}
# Optional fields a plain sentence would make invalid; they stay empty unless fuzzed.
LEFT_EMPTY = frozenset({"customer_email", "setting_category_owners"})
# Hidden fields a page fills once and a second submission must not reuse (duplicate guards).
FRESH_EACH_TIME = ("token", "request_key")
MARKDOWN_FIELDS = frozenset(
    {
        "POST /tickets/new body",
        "POST /tickets/#/reply body",
        "POST /staff/tickets/#/reply body",
        "POST /staff/tickets/canned body",
    }
)
# Forms whose text fields are templates on purpose (an administrator's letters, filled per customer):
# their tokens are meant to be evaluated, so only the other checks apply.
TEMPLATE_FORMS = ("/staff/documents/templates",)
# Forms whose plain submission is refused on purpose, and why; they are still fuzzed for 5xx and XSS.
REFUSED_WITH_PLAIN_VALUES = {
    "POST /login": "no account has the made-up address; signing in would end the anonymous walk",
    "POST /account/delete": "the confirmation box stays unticked: deleting the account would end the walk",
    "POST /staff/tickets/#/merge": "a merge needs the number of another open ticket, which the form cannot "
    "offer; tests/test_ticket_merge.py merges",
    "POST /staff/tickets/new": "no customer is offered to choose until the agent searches for one "
    "(tests/test_ticket_people.py opens tickets with it)",
}
# Accepted fields the portal does not show again where the form leads, and why.
NOT_SHOWN_AGAIN = {
    "POST /register name": "the account must confirm its address first; /account/ checks the same field",
    "POST /forgot-password email": "the page says the same for every address",
    "POST /account/email email": "the address changes only when the emailed link is opened",
    "POST /account/email current_password": "a password is never shown",
    "POST /account/password current_password": "a password is never shown",
    "POST /account/password new_password": "a password is never shown",
    "POST /account/delete current_password": "a password is never shown",
    "POST /register password": "a password is never shown",
    "POST /register email": "the account must confirm its address first",
    "POST /staff/loyalty/rewards/new description": "shown on the reward's own page, which the edit form "
    "(POST /staff/loyalty/rewards/#) checks with the same field",
    "POST /staff/surveys/#/questions help": "customers see it on the published survey; staff pages list "
    "the questions' texts only",
    "POST /staff/surveys/#/questions options": "kept for choice questions only, and the plain question is "
    "short text",
}
# Accepted fields the customer in the form's URL sees on a page of their own, rather than the staff.
SHOWN_TO_THE_CUSTOMER = {
    "POST /staff/loyalty/customers/#/goodwill reason": "/loyalty/",
    "POST /staff/loyalty/customers/#/purchase reference": "/loyalty/",
    "POST /staff/loyalty/customers/#/adjust reason": "/loyalty/",
}


@dataclass(frozen=True)
class Naughty:
    """One string of the data file, with the category it came from."""

    text: str
    category: str
    dangerous: bool


def load_naughty_strings(path: Path = STRINGS_FILE) -> list[Naughty]:
    """The data file's strings, decoded as its header describes."""
    strings: list[Naughty] = []
    category, dangerous = "", False
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("# category:"):
            name = line.removeprefix("# category:").strip()
            dangerous = name.endswith("!")
            category = name.removesuffix("!").strip()
        elif line.startswith("#") or not line:
            continue
        elif line.startswith("esc:"):
            strings.append(Naughty(line[4:].encode("ascii").decode("unicode_escape"), category, dangerous))
        elif line.startswith("repeat:"):
            _prefix, count, text = line.split(":", 2)
            strings.append(Naughty(text * int(count), category, dangerous))
        else:
            strings.append(Naughty(line, category, dangerous))
    return strings


# What a database stores and gives back differently (a NUL byte, a column's length, an escape, a letter
# outside the basic plane, spaces at the ends). The rest (markup, templates, format codes) meets only
# the templates and the forms, which are the same whatever holds the data: those strings go through
# every field on the last backend of the run (PostgreSQL in CI) and not again on SQLite.
STORED_DIFFERENTLY = {
    "sql injection",
    "more sql injection",
    "control characters",
    "more control characters",
    "quotes and backslashes",
    "more quotes and backslashes",
    "long text",
    "unicode letters",
    "whitespace",
    "numbers",
}


def strings_for(field_number: int, strings: list[Naughty]) -> list[Naughty]:
    """Every dangerous string, and a few others chosen so that successive fields take the next few."""
    others = [each for each in strings if not each.dangerous]
    start = field_number * OTHERS_PER_FIELD
    chosen = [others[(start + offset) % len(others)] for offset in range(OTHERS_PER_FIELD)]
    return [each for each in strings if each.dangerous] + chosen


# --- reading pages ------------------------------------------------------------------------------------


class _PageReader(HTMLParser):
    """A page's text as a person reads it (text and attribute values decoded), and any injected code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.injected: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            value = value or ""
            self.parts.append(value)
            if name == "data-nstr-injected" or (name.startswith("on") and "nstr" in value):
                self.injected.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and value.strip().lower().startswith("javascript:"):
                self.injected.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self._in_script and "nstr-xss" in data:
            self.injected.append(f"<script>{data[:80]}")


@dataclass
class Page:
    """One answer the fuzzer looked at."""

    url: str
    status: int
    html: str
    text: str = ""
    injected: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, url: str, response: TestResponse) -> Page:
        html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        reader = _PageReader()
        reader.feed(html)
        reader.close()
        return cls(url, response.status_code, html, " ".join(reader.parts), reader.injected)


# C0 controls but tab, LF and CR: the portal drops them as a request arrives (issue 11 allows it for NUL).
INVISIBLE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def normalised(text: str) -> str:
    """Whitespace runs as one space, without the invisible controls the portal may drop at the edge."""
    return " ".join(INVISIBLE_CONTROLS.sub("", text).split())


def shows(page: Page, value: str, markdown: bool) -> bool:
    if markdown:
        return all(word in page.text for word in re.findall(r"[^\W_]{3,}", value))
    return normalised(value) in normalised(page.text)


def says_why(page: Page) -> bool:
    """Whether a refusal names its problem: an error next to a field, or an error message."""
    return any(mark in page.html for mark in ('class="error"', "flash-error", 'aria-invalid="true"'))


# --- the world and the visitors -------------------------------------------------------------------------


@dataclass
class Fuzzer:
    """The app, a signed-in browser per visitor, and what the fuzzing found."""

    app: Flask
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    tokens: dict[FlaskClient, str] = field(default_factory=dict)
    resolved_tickets: list[int] = field(default_factory=list)
    customers: dict[int, FlaskClient] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def token_of(self, client: FlaskClient) -> str:
        if client not in self.tokens:
            self.tokens[client] = csrf_token(client)
        return self.tokens[client]

    def sign_in(self, email: str) -> FlaskClient:
        """A browser signed in as ``email``, kept so a later look at that person's pages can reuse it.

        Every account starts with the test password; one the fuzzing changed is reached this way only.
        """
        client = self.app.test_client()
        log_in(client, email, TEST_PASSWORD)
        with self.app.app_context():
            self.customers[db.session.scalar(select(User.id).where(User.email == email))] = client
        return client

    def customer_page(self, customer_id: int, path: str) -> Page:
        """``path`` as the customer ``customer_id`` sees it."""
        if customer_id not in self.customers:
            with self.app.app_context():
                self.sign_in(db.session.get(User, customer_id).email)
        return Page.of(f"GET {path} (as customer {customer_id})", self.customers[customer_id].get(path))

    def fresh_customer(self) -> FlaskClient:
        """A new customer's browser, for forms each customer can send only once."""
        return self.sign_in(create_user(self.app, "customer").email)


def fresh_founder(fuzzer: Fuzzer, role: str, form: Form) -> tuple[FlaskClient, str]:
    """Founding an organization: each customer founds one, so each try is a new customer."""
    return fuzzer.fresh_customer(), form.action


def next_resolved_ticket(fuzzer: Fuzzer, role: str, form: Form) -> tuple[FlaskClient, str]:
    """Rating: each ticket is rated once, so each try rates another resolved ticket."""
    ticket_id = fuzzer.resolved_tickets.pop(0)  # the newest are the ones the crawl replied to
    return fuzzer.clients[role], ID_IN_PATH.sub(f"/{ticket_id}", urlsplit(form.action).path, count=1)


ONCE_PER_TARGET: dict[str, Callable[[Fuzzer, str, Form], tuple[FlaskClient, str]]] = {
    "POST /organization/": fresh_founder,
    "POST /tickets/#/rate": next_resolved_ticket,
}


def _text_survey(status: str) -> Survey:
    """A survey of two optional free-text questions, for everyone, open for a month."""
    survey = Survey(title=f"Fuzz {status}", status=status, audience_key="all-customers")
    survey.closes_at = utcnow() + timedelta(days=30)
    db.session.add(survey)
    db.session.flush()
    for position, kind in enumerate(("short_text", "long_text")):
        db.session.add(Question(survey_id=survey.id, position=position, kind=kind, text=kind, required=False))
    return survey


def prepare_world(app: Flask, rated_tickets: int) -> list[int]:
    """Demo data, a survey waiting for the customer, a draft one, and resolved tickets to rate.

    Every account gets the test password, so the fuzzer can look at any customer's own pages.
    """

    with app.test_request_context():
        load_demo_data()
        set_setting("tickets", "tickets_per_hour", 1000, actor_id=None)
        customer = find_user_by_email("sara@example.com")
        surveys = {status: _text_survey(status) for status in ("published", "draft")}
        db.session.add(
            Invitation(
                survey_id=surveys["published"].id, customer_id=customer.id, status="sent", sent_at=utcnow()
            )
        )
        password = hash_password(TEST_PASSWORD)
        db.session.execute(update(User).values(password_hash=password))
        for email in ("founder@example.com", "manager@example.com"):
            db.session.add(
                User(
                    email=email,
                    name="Free",
                    role="customer",
                    password_hash=password,
                    email_verified_at=utcnow(),
                )
            )
        agent = find_user_by_email("agent@example.com")
        resolved = []
        for number in range(rated_tickets):
            ticket, _message = service.open_ticket(
                customer, subject=f"To rate {number}", body="Please", category=categories()[0], priority="low"
            )
            service.add_reply(ticket, agent, "Done")
            db.session.refresh(ticket)  # the reply moved it on in the database
            service.change_status(ticket, "resolved", agent, notify_customer=False)
            resolved.append(ticket.id)
        db.session.commit()
        db.session.remove()
    return resolved


def visitors(fuzzer: Fuzzer) -> Iterator[tuple[str, Form]]:
    """Each visitor's forms with a text field, each form once (for the first visitor who finds it)."""
    claimed: set[str] = set()
    for role, email, start in VISITORS:
        if email == "fresh":
            client = fuzzer.fresh_customer()
        elif email is not None:
            client = fuzzer.sign_in(email)
        else:
            client = fuzzer.app.test_client()
        fuzzer.clients[role] = client
        for form in crawl(client, list(start), skip=("/logout",)):
            if form.text_fields and form.key() not in claimed:
                claimed.add(form.key())
                yield role, form


# --- sending forms --------------------------------------------------------------------------------------


def form_name(form: Form) -> str:
    return f"{form.method} {ID_IN_PATH.sub('/#', urlsplit(form.action).path)}"


def plain_value(form: Form, each: Field) -> str:
    """A value a person would type that the field accepts: what the page filled in, or a plain one."""
    chosen = PLAIN_BY_FIELD.get(f"{form_name(form)} {each.name}")
    if chosen == FIRST_REAL_CHOICE:
        return next(option for option in each.options if option)
    if chosen is not None:
        return chosen
    if each.value.strip() or each.type not in TEXT_TYPES:
        return each.value if each.type != "select" else (each.selected or each.options[:1] or [""])[0]
    if each.name in PLAIN_BY_NAME:
        return PLAIN_BY_NAME[each.name]
    if each.name in LEFT_EMPTY or each.type == "search":
        return ""
    return {
        "email": f"nstr-{uuid.uuid4().hex[:10]}@example.com",
        "password": TEST_PASSWORD,
        "tel": "+1 555 0100",
        "url": "https://example.com/",
    }.get(each.type, PLAIN_TEXT)


def plain_data(form: Form, client_token: str) -> dict[str, list[str]]:
    data = form.browser_data()
    for each in form.fields:
        if each.type in TEXT_TYPES or f"{form_name(form)} {each.name}" in PLAIN_BY_FIELD:
            data[each.name] = [plain_value(form, each)]
        elif each.name in PLAIN_BY_NAME and not each.value:
            data[each.name] = [PLAIN_BY_NAME[each.name]]
    for name in FRESH_EACH_TIME:
        if name in data:
            data[name] = [uuid.uuid4().hex]
    if "csrf_token" in data:
        data["csrf_token"] = [client_token]
    return data


@dataclass
class Outcome:
    pages: list[Page]
    accepted: bool


def send(fuzzer: Fuzzer, role: str, form: Form, values: dict[str, str]) -> Outcome:
    """Send ``form`` as ``role`` with ``values`` in some fields and plain values in the others."""
    chooser = ONCE_PER_TARGET.get(form_name(form))
    client, action = chooser(fuzzer, role, form) if chooser else (fuzzer.clients[role], form.action)
    data = plain_data(form, fuzzer.token_of(client))
    data.update({name: [value] for name, value in values.items()})
    path = urlsplit(action).path
    response = client.get(path, query_string=data) if form.method == "GET" else client.post(path, data=data)
    pages = [Page.of(f"{form.method} {path}", response)]
    accepted = response.status_code < 400
    if 300 <= response.status_code < 400 and response.location:
        target = urlsplit(response.location).path
        accepted = target != "/login"
        if accepted:
            pages.append(Page.of(f"GET {target}", client.get(target)))
    accepted = accepted and not says_why(pages[-1])
    if accepted and form.method == "POST" and pages[-1].url != f"GET {form.page}":
        pages.append(Page.of(f"GET {form.page}", client.get(form.page)))
    return Outcome(pages, accepted)


def is_template_text(form: Form, each: Field) -> bool:
    return urlsplit(form.action).path.startswith(TEMPLATE_FORMS) and each.name.split("_")[0] == "body"


def check(fuzzer: Fuzzer, role: str, form: Form, each: Field, naughty: Naughty) -> Iterator[str]:
    """Send one string in one field; yield what went wrong."""
    where = f"{role:10} {form_name(form)} [{each.name}] {naughty.category}: {naughty.text[:60]!r}"
    outcome = send(fuzzer, role, form, {each.name: naughty.text})
    for page in outcome.pages:
        if page.status >= 500:
            yield f"{where}: {page.url} answered {page.status}"
        if page.injected:
            yield f"{where}: {page.url} carries injected code {page.injected[:2]}"
        if "nstr1337" in page.text and not is_template_text(form, each):
            yield f"{where}: {page.url} evaluated the template in the text"
    first = outcome.pages[0]
    if form.method == "POST" and first.status in (400, 422) and not says_why(first):
        yield f"{where}: refused ({first.status}) without saying why on the page"
    key = f"{form_name(form)} {each.name}"
    if (
        not outcome.accepted
        or form.method != "POST"
        or key in NOT_SHOWN_AGAIN
        or each.name in NUMBER_FIELDS
        or each.name in ("points", "cost", "stock")
        or not normalised(naughty.text)
    ):
        return
    markdown = key in MARKDOWN_FIELDS
    if key in SHOWN_TO_THE_CUSTOMER:
        customer_id = int(ID_IN_PATH.findall(urlsplit(outcome.pages[0].url).path)[0].strip("/"))
        outcome.pages.append(fuzzer.customer_page(customer_id, SHOWN_TO_THE_CUSTOMER[key]))
    if not any(shows(page, naughty.text, markdown) for page in outcome.pages):
        pages = ", ".join(page.url for page in outcome.pages)
        yield f"{where}: accepted, but the text is not shown as it was typed on {pages}"


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """Rate limits off: one address sends thousands of forms, and limits are not what is tested here."""
    app_config["RATELIMIT_ENABLED"] = False
    return app_config


def test_the_strings_file_covers_every_category_the_suite_promises() -> None:
    strings = load_naughty_strings()
    categories = {each.category for each in strings}
    assert {"script injection", "template injection", "sql injection", "control characters"} <= categories
    assert {each.category for each in strings if each.dangerous} >= {"script injection", "long text"}
    texts = {each.text for each in strings}
    assert "\0" in texts and any(len(text) > 100_000 for text in texts)
    assert any("\u202e" in text for text in texts), "the right-to-left override decodes"


# The fuzzing is split into shards, each on a world of its own, so parallel test workers share it out.
SHARDS = 4


def shard_of(name: str) -> int:
    """The shard a form or field belongs to, by its name: stable across processes, unlike hash()."""
    return zlib.crc32(name.encode()) % SHARDS


@pytest.mark.parametrize("shard", range(SHARDS))
def test_naughty_strings_in_every_form(app: Flask, backend: str, shard: int) -> None:
    """Every shard crawls every form and takes the forms and text fields whose names fall to it, so
    together the shards send each form's plain check and fuzz each field once, whatever order the
    crawl finds them in."""
    strings = load_naughty_strings()
    if backend != BACKENDS[-1]:
        strings = [each for each in strings if each.category in STORED_DIFFERENTLY]
    fuzzer = Fuzzer(app, resolved_tickets=prepare_world(app, rated_tickets=80))
    fuzzed = []
    field_number = 0
    for role, form in visitors(fuzzer):
        name = form_name(form)
        fuzzed.append(f"{role}: {name}")
        if shard_of(name) == shard:
            plain = send(fuzzer, role, form, {})
            if form.method == "POST" and not plain.accepted and name not in REFUSED_WITH_PLAIN_VALUES:
                fuzzer.failures.append(
                    f"{role:10} {name}: refused with plain values ({plain.pages[0].status}), so nothing sent "
                    "to it could be checked; give its fields plain values that work (PLAIN_BY_NAME) or list "
                    "it in REFUSED_WITH_PLAIN_VALUES with the reason"
                )
        for each in form.text_fields:
            field_number += 1
            if shard_of(f"{name} {each.name}") != shard:
                continue
            for naughty in strings_for(field_number, strings):
                fuzzer.failures.extend(check(fuzzer, role, form, each, naughty))
    assert len(fuzzed) >= 20, f"the crawl found too few forms to mean anything: {fuzzed}"
    assert not fuzzer.failures, f"{len(fuzzer.failures)} problems:\n" + "\n".join(fuzzer.failures)
