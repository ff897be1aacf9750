"""The tickets plugin's slots on the new-ticket form and the staff ticket page, with a probe plugin only.

The help center fills these slots, but the tickets plugin must not need it: with nobody answering
``tickets.before_open`` one submit opens the ticket, as it always did.
"""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup
from sqlalchemy import func, select

from plugins.tickets.models import Ticket
from portal.plugin import db, hookimpl
from portal.plugin_manager import plugin_host
from portal.testing import post_form

pytestmark = pytest.mark.plugins("tickets")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


class SuggestingProbe:
    """A plugin with an answer for every ticket about a parcel, and a note of what each slot was given."""

    def __init__(self) -> None:
        self.contexts: dict[str, list[dict]] = {}

    @hookimpl
    def portal_template_slot(self, slot, context):
        self.contexts.setdefault(slot, []).append(dict(context))
        if slot == "tickets.before_open" and "parcel" in context["subject"].lower():
            return Markup("<p>Probe: read <em>Where is my parcel</em> — {}</p>").format(context["body"])
        if slot == "tickets.new_ticket_form":
            return Markup('<p id="probe-beside">beside {}</p>').format(context["subject_field_id"])
        if slot == "tickets.staff_message_tools":
            return Markup("<p>tools {message_id} {from_staff} {internal} {subject}</p>").format(**context)
        if slot == "tickets.staff_reply_tools":
            return Markup("<p>reply tools {ticket_id} {reply_field_id}</p>").format(**context)
        return None


@pytest.fixture
def probe(app: Flask) -> SuggestingProbe:
    answering = SuggestingProbe()
    plugin_host(app).manager.register(answering, name="suggesting_probe")
    return answering


def send(client: FlaskClient, subject: str = "Parcel is late", body: str = "Where is it?", **extra):
    data = {"subject": subject, "body": body, "category": "problem", "priority": "normal", **extra}
    return post_form(client, "/tickets/new", data, content_type="multipart/form-data")


def tickets_of(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
    assert found, f"no hidden {name} in the page"
    return found.group(1)


def test_without_a_plugin_that_suggests_one_submit_opens_the_ticket(app, client, login_as):
    login_as()
    page = client.get("/tickets/new").get_data(as_text=True)
    assert "Check these first" not in page and "Open my ticket anyway" not in page
    assert send(client).status_code == 302
    assert tickets_of(app) == 1


def test_suggestions_stop_the_first_submit_and_keep_what_was_typed(app, client, login_as, probe):
    login_as()
    token = hidden(client.get("/tickets/new").get_data(as_text=True), "token")
    first = send(client, body="It was due on Monday & never came", token=token)
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and tickets_of(app) == 0, "no ticket is opened yet"
    assert "Probe: read <em>Where is my parcel</em> — It was due on Monday &amp; never came" in page
    assert "Open my ticket anyway" in page
    assert 'value="Parcel is late"' in page and "It was due on Monday &amp; never came</textarea>" in page
    assert hidden(page, "token") == token, "the same copy of the form, so a double click opens one ticket"
    assert hidden(page, "suggestions_seen") == "yes", "the second submit opens the ticket"
    assert probe.contexts["tickets.before_open"][-1] == {
        "subject": "Parcel is late",
        "body": "It was due on Monday & never came",
    }
    second = send(client, body="It was due on Monday & never came", token=token, suggestions_seen="yes")
    assert second.status_code == 302 and tickets_of(app) == 1


def test_nothing_to_suggest_opens_the_ticket_at_once(app, client, login_as, probe):
    login_as()
    assert send(client, subject="Invoice address").status_code == 302
    assert tickets_of(app) == 1


def test_a_customer_who_saw_suggestions_while_typing_is_not_stopped(app, client, login_as, probe):
    login_as()
    assert send(client, suggestions_seen="yes").status_code == 302
    assert tickets_of(app) == 1
    assert "tickets.before_open" not in probe.contexts, "nothing is asked of the plugins then"


def test_attached_files_skip_the_step_so_they_are_never_chosen_twice(app, client, login_as, probe):
    login_as()
    response = send(client, files=[(io.BytesIO(PNG), "photo.png")])
    assert response.status_code == 302 and tickets_of(app) == 1


def test_the_form_offers_the_slot_beside_the_subject(app, client, login_as, probe):
    login_as()
    page = client.get("/tickets/new").get_data(as_text=True)
    assert '<p id="probe-beside">beside subject</p>' in page
    assert page.index('id="subject"') < page.index("probe-beside") < page.index('id="body"')
    send(client, subject="", body="no subject")
    assert probe.contexts["tickets.new_ticket_form"][-1] == {"subject": "", "subject_field_id": "subject"}


def test_a_refused_form_is_not_stopped_for_suggestions(app, client, login_as, probe):
    login_as()
    page = send(client, body="").get_data(as_text=True)
    assert "Please write a message." in page and "Open my ticket anyway" not in page
    assert tickets_of(app) == 0


def test_staff_ticket_page_offers_tools_per_message_and_beside_the_reply(app, client, login_as, probe):
    login_as()
    ticket_id = int(send(client, suggestions_seen="yes").headers["Location"].rstrip("/").split("/")[-1])
    client.post("/logout", data={})
    client.delete_cookie("session")
    login_as("agent")
    post_form(
        client,
        f"/staff/tickets/{ticket_id}/reply",
        {"body": "Here is how"},
        content_type="multipart/form-data",
    )
    post_form(
        client,
        f"/staff/tickets/{ticket_id}/reply",
        {"body": "note", "internal": "y"},
        content_type="multipart/form-data",
    )
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert page.count("<p>tools ") == 3
    assert "False False Parcel is late" in page, "the customer's message"
    assert "True False Parcel is late" in page and "True True Parcel is late" in page
    assert f"<p>reply tools {ticket_id} body</p>" in page
