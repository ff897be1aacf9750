"""An empty list says in words what it is for and offers the next step, never a bare "No items".

Someone who opens a list for the first time has nothing in it; the page is their chance to learn what
would be there and what to do now. Each case: the words that explain, and the link that is the next
step (its text and where it goes). A filtered list that comes back empty says so and offers the
whole list instead.
"""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient

pytestmark = pytest.mark.plugins("tickets", "loyalty", "documents", "surveys")

CUSTOMER_LISTS = [
    ("/tickets/", "A ticket is how you ask us for help", "Open a ticket", "/tickets/new"),
    ("/tickets/?status=resolved", "No tickets match these filters.", "Show all your tickets", "/tickets/"),
    ("/documents/", "other papers we share with you", "Back to your dashboard", "/dashboard"),
    (
        "/documents/?q=invoice",
        "No documents here match your search.",
        "Show all your documents",
        "/documents/",
    ),
    ("/surveys/", "When we ask for your opinion", "Back to your dashboard", "/dashboard"),
    ("/loyalty/rewards", "Your points stay in your account", "See your points", "/loyalty/"),
    ("/loyalty/", "You earn points with every purchase", "See the rewards", "/loyalty/rewards"),
    ("/loyalty/vouchers", "its voucher code is kept here", "See the rewards", "/loyalty/rewards"),
    (
        "/notifications",
        "We will tell you here when something happens.",
        "Back to your dashboard",
        "/dashboard",
    ),
]
STAFF_LISTS = [
    ("/staff/tickets/", "New tickets from customers appear here.", "Back to the staff console", "/staff/"),
    (
        "/staff/tickets/?priority=urgent",
        "No tickets match these filters.",
        "Show every ticket still open",
        "/staff/tickets/",
    ),
    ("/staff/customers/", "once they create an account", "Show everyone", "/staff/customers/?role=all"),
    ("/staff/approvals/", "Nothing waits for a decision.", "Back to the staff console", "/staff/"),
    (
        "/staff/approvals/decided",
        "No request has been decided yet.",
        "See what waits for a decision",
        "/staff/approvals/",
    ),
]


def empty_state(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    found = re.search(r'<div class="empty-state">(.*?)</div>', response.get_data(as_text=True), re.S)
    assert found, f"{path} has no empty state"
    return html.unescape(" ".join(found.group(1).split()))


def assert_explains_and_offers(client: FlaskClient, path: str, words: str, link: str, href: str) -> None:
    state = empty_state(client, path)
    assert words in state, f"{path} says: {state}"
    assert f'href="{href}">{link}</a>' in state, f"{path} offers: {state}"


@pytest.mark.parametrize(("path", "words", "link", "href"), CUSTOMER_LISTS)
def test_a_customers_empty_list_explains_and_offers_the_next_step(
    login_as, client: FlaskClient, path: str, words: str, link: str, href: str
) -> None:
    login_as("customer")
    assert_explains_and_offers(client, path, words, link, href)


@pytest.mark.parametrize(("path", "words", "link", "href"), STAFF_LISTS)
def test_a_staff_empty_list_explains_and_offers_the_next_step(
    app, login_as, client: FlaskClient, path: str, words: str, link: str, href: str
) -> None:
    login_as("admin")
    assert_explains_and_offers(client, path, words, link, href)
