"""Pictures of the main pages for README.md and docs/, taken from the product itself: `make screenshots`.

Not collected by the normal run (the name does not start with ``test_``), so ``make test`` writes no
files; ``make screenshots`` runs this module alone. It serves the demo data (``portal demo``'s), signs
in as the demo customer and the demo agent, and saves one viewport picture of each page in English and
Persian, on a laptop and on a phone, as docs/screenshots/<page>-<language>-<size>.png. The names are
stable, so a page that changed shows as a changed picture in the diff.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import select, update

from plugins.documents.models import Document
from plugins.tickets.models import Ticket
from portal.accounts.models import User, find_user_by_email
from portal.database import db
from portal.demo import DEMO_PASSWORD, load_demo_data
from portal.events import StoredEvent
from portal.testing.browser import LiveServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.plugins("tickets", "loyalty", "documents", "surveys", "appointments"),
]

OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
LANGUAGES = ("en", "fa")
CUSTOMER_EMAIL = "sara@example.com"
STAFF_EMAIL = "agent@example.com"


@dataclass(frozen=True)
class Shot:
    """One page to picture: a stable file name, the path (with ``{ids}`` to fill) and who looks at it."""

    name: str
    path: str
    viewer: str  # "customer" or "staff"


SHOTS = (
    Shot("customer-dashboard", "/dashboard", "customer"),
    Shot("customer-ticket", "/tickets/{ticket}", "customer"),
    Shot("customer-loyalty", "/loyalty/", "customer"),
    Shot("customer-documents", "/documents/", "customer"),
    Shot("staff-home", "/staff/", "staff"),
    Shot("staff-queue", "/staff/tickets/", "staff"),
    Shot("staff-customer-360", "/staff/customers/{customer}", "staff"),
)
# What build_demo returns: the ids the paths above may name.
ID_NAMES = ("ticket", "customer")


def file_name(shot: Shot, language: str, size: str) -> str:
    """The picture's stable name: ``customer-dashboard-fa-phone.png``."""
    return f"{shot.name}-{language}-{size}.png"


def all_file_names() -> list[str]:
    """Every picture ``make screenshots`` writes, for docs that show them and for the test of this list."""
    return [file_name(shot, language, size) for shot in SHOTS for language in LANGUAGES for size in SIZES]


def build_demo(app: Flask) -> dict[str, int]:
    """The demo data, plus a little history so the customer's activity on the 360° page has entries."""
    with app.test_request_context():
        load_demo_data()
        customer = find_user_by_email(CUSTOMER_EMAIL)
        agent = find_user_by_email(STAFF_EMAIL)
        assert customer is not None and agent is not None
        ticket = db.session.scalars(
            select(Ticket).where(Ticket.customer_id == customer.id, Ticket.status == "open")
        ).first()
        assert ticket is not None, "the demo gives its first customer an open ticket"
        history = [
            (
                "tickets.created",
                {
                    "ticket_id": ticket.id,
                    "customer_id": customer.id,
                    "category": ticket.category,
                    "priority": ticket.priority,
                },
                customer.id,
            ),
            (
                "tickets.replied",
                {
                    "ticket_id": ticket.id,
                    "customer_id": customer.id,
                    "author": "staff",
                    "author_id": agent.id,
                },
                agent.id,
            ),
            (
                "tickets.status_changed",
                {
                    "ticket_id": ticket.id,
                    "customer_id": customer.id,
                    "old_status": "new",
                    "new_status": "open",
                },
                agent.id,
            ),
        ]
        for name, payload, actor_id in history:
            db.session.add(
                StoredEvent(name=name, payload=payload, customer_id=customer.id, actor_id=actor_id)
            )
        assert db.session.scalar(select(Document.id).where(Document.audience_customer_id == customer.id))
        db.session.commit()
        ids = {"ticket": ticket.id, "customer": customer.id}
        db.session.remove()
    return ids


def _set_language(app: Flask, language: str) -> None:
    with app.app_context():
        db.session.execute(update(User).values(language=language))
        db.session.commit()
        db.session.remove()


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/login" not in url)


def _picture(page: Page, path: str, target: Path) -> None:
    """Open ``path`` once and save it at each size: what a person sees first, not the whole page."""
    response = page.goto(path)
    assert response is not None and response.ok, f"{path} answered {response and response.status}"
    if page.locator('[hx-trigger="load"]').count():  # dashboard widgets fill themselves in
        page.wait_for_load_state("networkidle")
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("() => document.fonts.ready")
        page.screenshot(path=str(target.with_name(target.name.format(size=size))), animations="disabled")


def test_take_screenshots(app: Flask, live_server: LiveServer, browser: Browser) -> None:
    ids = build_demo(app)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for language in LANGUAGES:
        _set_language(app, language)
        for viewer, email in (("customer", CUSTOMER_EMAIL), ("staff", STAFF_EMAIL)):
            context = browser.new_context(base_url=live_server.url, locale=language)
            context.set_default_timeout(10_000)
            page = context.new_page()
            _sign_in(page, email)
            for shot in (shot for shot in SHOTS if shot.viewer == viewer):
                target = OUTPUT / f"{shot.name}-{language}-{{size}}.png"
                _picture(page, shot.path.format(**ids), target)
            context.close()
    written = sorted(path.name for path in OUTPUT.glob("*.png"))
    assert set(all_file_names()) <= set(written), "every page is pictured"
