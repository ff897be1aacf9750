"""A NUL byte (or another invisible control character) in a form or a query string is dropped at the edge.

PostgreSQL text cannot hold NUL, so before the portal cleaned its input, a NUL in any text field or
search box was a 500 there. Everything else the person typed is kept; tab, CR and LF stay too.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from plugins.tickets.models import Ticket
from portal.accounts.models import User
from portal.database import db
from portal.testing import post_form

pytestmark = pytest.mark.plugins("tickets")


@pytest.mark.parametrize(
    "url",
    ["/tickets/?q=%00", "/tickets/?category=a%00b", "/staff/customers/?q=%00", "/staff/audit?email=%00"],
)
def test_nul_in_a_search_box_is_not_a_server_error(client, login_as, url):
    login_as("admin")
    assert client.get(url).status_code < 500


def test_nul_in_a_search_box_is_dropped_from_the_search(client, login_as, make_user):
    login_as("admin")
    make_user(name="Nadia Nulsworth")
    page = client.get("/staff/customers/?q=Nuls%00worth")
    assert page.status_code == 200
    assert "Nadia Nulsworth" in page.get_data(as_text=True)


def test_nul_in_a_ticket_subject_and_message_is_dropped_and_the_rest_kept(app, client, login_as):
    login_as()
    response = post_form(
        client,
        "/tickets/new",
        {
            "subject": "Printer\x00 jams",
            "body": "Line one\x00\x07\r\n\tLine two",
            "category": "problem",
            "priority": "normal",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert ticket.subject == "Printer jams"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Line one" in page and "Line two" in page and "\x00" not in page


def test_nul_in_the_profile_name_is_dropped_and_the_name_kept(app, client, login_as):
    user = login_as()
    response = post_form(
        client, "/account/", {"name": "Sara\x00 Ahmadi\x1b", "language": "en", "timezone": "UTC"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).name == "Sara Ahmadi"
