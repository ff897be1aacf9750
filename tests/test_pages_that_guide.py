"""Issue 12's "pages that guide": each page says what things are, by name, and what comes next."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from sqlalchemy import select

from portal.database import db
from portal.testing import TEST_PASSWORD, log_in, post_form


def signed_in(app, user):
    other = app.test_client()
    log_in(other, user.email, TEST_PASSWORD)
    return other


@pytest.mark.plugins("documents")
def test_a_document_made_from_a_template_names_the_template(app, make_user):
    from plugins.documents.models import Document, DocumentTemplate

    sara = make_user("customer")
    with app.app_context():
        template = DocumentTemplate(name="Welcome <letter>", body="<p>Hello {{ customer.name }}</p>")
        db.session.add(template)
        db.session.commit()
        template_id = template.id
    administrator = signed_in(app, make_user("admin"))
    data = {
        "title": "Welcome",
        "description": "",
        "category": "contract",
        "audience": "customer",
        "customer_email": sara.email,
        "segment": "",
        "template": str(template_id),
        "publish_now": "y",
        "file": (io.BytesIO(b""), ""),
    }
    response = post_form(administrator, "/staff/documents/new", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        document_id = db.session.scalars(select(Document.id)).one()
    page = administrator.get(f"/staff/documents/{document_id}").get_data(as_text=True)
    assert f"#{template_id}" not in unescape(page).split("Made from template")[1][:200]
    link = f'<a href="/staff/documents/templates/{template_id}"><bdi>Welcome &lt;letter&gt;</bdi></a>'
    assert link in page, "administrators follow the name to the template"
    agent_page = (
        signed_in(app, make_user("agent")).get(f"/staff/documents/{document_id}").get_data(as_text=True)
    )
    assert "Welcome &lt;letter&gt;" in agent_page
    assert not re.search(r'href="/staff/documents/templates/', agent_page), "agents cannot open templates"


@pytest.mark.plugins("loyalty")
def test_the_360_points_forms_have_titles_above_their_fields_and_unique_ids(app, client, make_user, login_as):
    person = make_user()
    login_as("admin")
    page = client.get(f"/staff/customers/{person.id}").get_data(as_text=True)
    panel = page.split('id="panel-loyalty-points"')[1].split("</section>")[0]
    for title in ("Grant goodwill points", "Record a purchase", "Adjust the balance"):
        assert re.search(rf"<fieldset[^>]*>\s*<legend>{title}</legend>", panel), title
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


@pytest.mark.plugins("tickets")
def test_ticket_actions_say_what_happened_and_what_comes_next(app, client, make_user, login_as):
    from plugins.tickets.models import Ticket
    from portal.database import utcnow

    customer = make_user(name="Sara Ahmadi")
    with app.app_context():
        now = utcnow()
        ticket = Ticket(
            customer_id=customer.id,
            subject="Broken charger",
            category="problem",
            status="open",
            first_response_due=now,
            resolution_due=now,
        )
        db.session.add(ticket)
        db.session.commit()
        ticket_id = ticket.id
    agent = login_as("agent", name="Arash Agent")
    url = f"/staff/tickets/{ticket_id}"

    def after(action: str, data: dict[str, str]) -> str:
        response = post_form(client, f"{url}/{action}", data)
        assert response.status_code == 302
        return unescape(client.get(url).get_data(as_text=True))

    page = after("status", {"status": "waiting"})
    assert "The ticket is now “Waiting on customer”." in page
    page = after("status", {"status": "resolved"})
    assert (
        "The ticket is resolved. The customer is asked whether it solved their problem; "
        "it closes on its own after 7 days unless they reopen it."
    ) in page
    page = after("assign", {"assignee": str(agent.id)})
    assert "The ticket is now assigned to Arash Agent." in page
    page = after("assign", {"assignee": ""})
    assert "Nobody is assigned now: the ticket waits in the queue for someone to take it." in page


@pytest.mark.plugins("documents")
def test_publishing_says_who_sees_the_document_now(app, make_user):
    from plugins.documents.models import Document

    sara = make_user("customer")
    staff = signed_in(app, make_user("agent"))
    data = {
        "title": "Service contract",
        "description": "",
        "category": "contract",
        "audience": "customer",
        "customer_email": sara.email,
        "segment": "",
        "template": "",
        "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n" + b"x" * 200), "contract.pdf"),
    }
    response = post_form(staff, "/staff/documents/new", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = unescape(staff.get(response.headers["Location"]).get_data(as_text=True))
    assert "Saved as a draft: nobody sees it until you publish it." in page
    with app.app_context():
        document_id = db.session.scalars(select(Document.id)).one()
    post_form(staff, f"/staff/documents/{document_id}/publish", {})
    page = unescape(staff.get(f"/staff/documents/{document_id}").get_data(as_text=True))
    assert "Published: its readers see it now and get a notification." in page


def test_the_plugins_page_has_unique_ids(app, client, login_as):
    login_as("admin")
    page = client.get("/staff/plugins").get_data(as_text=True)
    assert page.count("Switch on") > 1, "several plugins are off in this test app"
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


@pytest.mark.parametrize(("role", "landing"), [("customer", "/dashboard"), ("agent", "/staff/")])
def test_the_front_door_leads_a_signed_in_person_to_their_own_start(client, login_as, role, landing):
    login_as(role)
    assert client.get("/").headers["Location"] == landing
