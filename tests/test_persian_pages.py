"""Every page, read in Persian, has Persian digits and no built-in English label.

The world of the authorization matrix (tests/security/authz_world.py: a customer with a ticket,
documents, points and a voucher, a survey answer, a booking, an organization; an agent; an
administrator) is signed into in Persian, and every page each of them can open is read as a person
reads it: the text, not the markup. A Latin digit there is a number the portal forgot to write in
the reader's digits, and a built-in English word is a label that skipped the catalogue.

What a person wrote is theirs and keeps its digits: the portal isolates it (``<bdi>``, ``dir="auto"``,
or ``lang`` naming the other language a text falls back to) and the test skips what is isolated.
Code-like content is skipped too: ``<code>``, voucher codes, and what is not text at all (attributes
such as ``<time datetime>``, scripts, styles).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from security.authz_world import World, argument_for, build_world
from sqlalchemy import update

from portal.accounts.models import User
from portal.database import db
from portal.testing import TEST_PASSWORD, log_in

pytestmark = pytest.mark.plugins(
    "tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter", "insights", "example"
)

READERS = ("owner", "agent", "admin")
# They end the session or membership of the reader, or hand over a file rather than a page.
NOT_READ = frozenset({"auth.logout", "organizations.leave"})
ARGUMENT = re.compile(r"<(?:[^<>:]+:)?(\w+)>")
LATIN_DIGIT = re.compile(r"[0-9]")
# Code-like text that keeps its Latin digits in every language: addresses a person types or copies,
# and version numbers (0.1.0) of installed software.
CODE_LIKE = re.compile(r"\S+@\S+\.\w+|https?://\S+|\b\d+\.\d+\.\d+\b")
# Text isolated with Unicode's own marks, where no tag can be (the <title>, plain-text mail).
ISOLATED = re.compile("\u2068[^\u2069]*\u2069")
# Elements whose text is not the portal's words in the reader's language.
SKIPPED_ELEMENTS = frozenset({"script", "style", "code", "kbd", "samp", "pre", "textarea", "bdi", "svg"})
SKIPPED_CLASSES = frozenset({"loyalty-voucher"})
VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
# Labels the portal itself ships in English; each must reach a Persian reader translated.
BUILT_IN_LABELS = (
    "question",
    "problem",
    "complaint",
    "Invoice",
    "Contract",
    "Manual",
    "Statement",
    "Welcome points",
    "Rated a support ticket",
    "Points expired",
    "Bytes",
    "bytes",
    "Customer Portal",
    "Asia/Tehran",
)


class ReadableText(HTMLParser):
    """The text of a page a reader reads as the portal's own words: isolated and code-like parts left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: whether its text is skipped
        self.pieces: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_ELEMENTS:
            return
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        skipped = (
            (bool(self.stack) and self.stack[-1])
            or tag in SKIPPED_ELEMENTS
            or values.get("dir") == "auto"
            or values.get("lang") not in (None, "fa")
            or bool(classes & SKIPPED_CLASSES)
        )
        self.stack.append(skipped)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID_ELEMENTS and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.pieces.append(data)

    @classmethod
    def of(cls, page: str) -> str:
        parser = cls()
        parser.feed(page)
        return " ".join(ISOLATED.sub(" ", " ".join(parser.pieces)).split())


def problems_on(page: str) -> list[str]:
    """What a Persian reader should not meet in the portal's own words on ``page``."""
    text = CODE_LIKE.sub(" ", ReadableText.of(page))
    words = dict.fromkeys(word for word in text.split() if LATIN_DIGIT.search(word))
    found = [f"Latin digits in {word!r}: …{_around(text, word)}…" for word in words]
    found += [
        f"English label {label!r}" for label in BUILT_IN_LABELS if re.search(rf"\b{re.escape(label)}\b", text)
    ]
    return found


def _around(text: str, word: str) -> str:
    at = text.index(word)
    return text[max(at - 50, 0) : at + len(word) + 30]


def readable_urls(app: Flask, world: World) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET route, its arguments filled with the world's objects."""
    urls = []
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if endpoint == "static" or endpoint.endswith(".static") or endpoint in NOT_READ:
            continue
        if "GET" not in (rule.methods or ()):
            continue
        values = {}
        for name in ARGUMENT.findall(rule.rule):
            argument = argument_for(endpoint, name)
            if argument is None:
                break  # the authorization matrix fails such a route on its own
            values[name] = str(argument.value(world))
        else:
            urls.append(
                (endpoint, ARGUMENT.sub(lambda match, found=values: found[match.group(1)], rule.rule))
            )
    return sorted(urls)


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    app_config["RATELIMIT_ENABLED"] = False
    return app_config


@pytest.fixture
def persian_world(app: Flask) -> World:
    world = build_world(app)
    with app.app_context():
        db.session.execute(update(User).values(language="fa", timezone="Asia/Tehran"))
        db.session.commit()
    return world


@pytest.mark.parametrize("reader", READERS)
def test_every_page_in_persian_has_persian_digits_and_no_english_label(
    app: Flask, persian_world: World, reader: str
) -> None:
    client: FlaskClient = app.test_client()
    log_in(client, persian_world.people[reader].email, TEST_PASSWORD)
    read, failures = 0, []
    for endpoint, url in readable_urls(app, persian_world):
        try:
            response = client.get(url)
        except Exception as error:  # one broken page must not hide what the others show
            failures.append(f"{url} ({endpoint}): raised {error!r}")
            continue
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        read += 1
        page = response.get_data(as_text=True)
        failures += [f"{url} ({endpoint}): {problem}" for problem in problems_on(page)]
    assert read > 20, f"only {read} pages were read as {reader}: the walk lost its way"
    assert failures == [], "\n".join(failures)


def test_the_reader_catches_what_it_should() -> None:
    """The check itself: a Latin number or an English category fails it; a person's own text does not."""
    assert problems_on("<p>شما 12 امتیاز دارید</p>")
    assert problems_on("<td>question</td>")
    assert not problems_on('<p>شما ۱۲ امتیاز دارید</p><p dir="auto">Order 12</p><bdi>R2</bdi>')
    assert not problems_on('<time datetime="2026-12-04T10:00:00Z">۱۳ آذر ۱۴۰۵</time><code>ABC-123</code>')
