"""Organizations as customers and staff live them: starting one, inviting, joining, leaving, managing.

The invitation tests follow the emailed link the way a person does: read the mail the portal wrote,
open the link in the invitee's own browser session, and check what each of them then sees.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.database import db, utcnow
from portal.demo import DEMO_PASSWORD
from portal.organizations.invitations import INVITATION_LIFETIME, MAX_PENDING_INVITATIONS
from portal.organizations.models import Invitation, Membership, Organization
from portal.testing import TEST_PASSWORD, UserRecord, link_in, log_in, post_form, read_outbox, text_of

JOIN = "/organization/join/"


# --- helpers --------------------------------------------------------------------------------------


def page(client: FlaskClient, url: str = "/organization/") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def start_organization(client: FlaskClient, name: str = "Parsian Trading", kind: str = "company") -> None:
    response = post_form(client, "/organization/", {"name": name, "kind": kind})
    assert response.status_code == 302, response.get_data(as_text=True)


def invite(client: FlaskClient, email: str, name: str = "") -> str:
    """Invite ``email`` and return the path of the link the portal mailed."""
    app = client.application
    sent_before = len(read_outbox(app))
    response = post_form(client, "/organization/invitations", {"email": email, "name": name})
    assert response.status_code == 302, response.get_data(as_text=True)
    mails = read_outbox(app)
    assert len(mails) == sent_before + 1
    assert mails[-1]["To"].addresses[0].addr_spec == email
    return link_in(mails[-1], JOIN)


def browser_for(app: Flask, user: UserRecord) -> FlaskClient:
    """A second person's own browser session."""
    other = app.test_client()
    log_in(other, user.email, TEST_PASSWORD)
    return other


def membership_of(app: Flask, user_id: int) -> tuple[int, str] | None:
    with app.app_context():
        row = db.session.get(Membership, user_id)
        return (row.organization_id, row.role) if row else None


def organization_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Organization.id).where(Organization.name == name))


def audit_kinds(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))


def expire_invitations(app: Flask) -> None:
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()


@pytest.fixture
def manager(client: FlaskClient, login_as) -> UserRecord:
    """A signed-in customer who started "Parsian Trading" and manages it."""
    person = login_as("customer", name="Sara Ahmadi")
    start_organization(client)
    return person


@pytest.fixture
def invitee(make_user) -> UserRecord:
    return make_user(name="David Chen", email="david@example.com")


# --- starting an organization --------------------------------------------------------------------


def test_customer_starts_an_organization_and_manages_it(app, client, login_as):
    me = login_as("customer", name="Sara Ahmadi")
    assert "You do not belong to an organization." in page(client)
    start_organization(client, "Ahmadi household", "household")
    html = page(client)
    assert "<h1><bdi>Ahmadi household</bdi></h1>" in html
    assert "Household · You are a manager" in html
    assert "Sara Ahmadi (you)" in html
    assert membership_of(app, me.id) == (organization_id(app, "Ahmadi household"), "manager")
    assert audit_kinds(app)[-2:] == ["organization_created", "organization_member_added"]


def test_organization_link_only_for_customers(client, login_as):
    login_as("customer")
    assert re.search(
        r'<a href="/organization/">(<svg[^>]*>.*?</svg>)?Organization</a>', page(client, "/account/")
    )
    other = client.application.test_client()
    assert "/organization/" not in other.get("/login").get_data(as_text=True)


def test_starting_an_organization_checks_the_form(app, client, login_as):
    login_as("customer")
    response = post_form(client, "/organization/", {"name": "x" * 121, "kind": "company"})
    assert response.status_code == 400
    assert "A name has at most 120 characters." in response.get_data(as_text=True)
    response = post_form(client, "/organization/", {"name": "Fine", "kind": "club"})
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organization)) == 0


def test_a_customer_in_an_organization_cannot_start_another(app, client, manager):
    response = post_form(
        client, "/organization/", {"name": "Second", "kind": "company"}, follow_redirects=True
    )
    assert "You already belong to an organization." in response.get_data(as_text=True)
    assert organization_id(app, "Second") is None


def test_visitors_are_sent_to_sign_in(client):
    assert client.get("/organization/").headers["Location"] == "/login?next=/organization/"
    response = post_form(client, "/organization/invitations", {"email": "someone@example.com"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_staff_have_no_organization_page(client, login_as):
    login_as("agent")
    assert "/organization/" not in page(client, "/staff/")
    assert client.get("/organization/").status_code == 403
    assert post_form(client, "/organization/", {"name": "Staff club", "kind": "company"}).status_code == 403


# --- inviting and joining ------------------------------------------------------------------------


def test_invited_customer_joins_and_each_sees_what_their_role_allows(app, client, manager, invitee):
    link = invite(client, invitee.email, "David")
    mail = read_outbox(app)[-1]
    assert mail["Subject"] == "Join Parsian Trading on our customer portal"
    assert "Hello David," in text_of(mail)
    assert "Sara Ahmadi invites you to join Parsian Trading" in text_of(mail)
    assert "The link works once, for a week." in text_of(mail)
    assert INVITATION_LIFETIME.days == 7, "the mail says the link works for a week"
    assert "david@example.com" in page(client), "the invitation waits for an answer"

    david = browser_for(app, invitee)
    join_page = david.get(link).get_data(as_text=True)
    assert "Join Parsian Trading" in join_page and "Sara Ahmadi invited you." in join_page
    assert membership_of(app, invitee.id) is None, "opening the link changes nothing"
    response = post_form(david, link, {}, follow_redirects=True)
    assert "Welcome to Parsian Trading." in response.get_data(as_text=True)
    assert membership_of(app, invitee.id) == (organization_id(app, "Parsian Trading"), "member")

    member_view = page(david)
    assert "You are a member." in member_view
    assert "Sara Ahmadi" in member_view, "a member sees the managers"
    assert manager.email not in member_view, "but not their contact details"
    assert "Send invitation" not in member_view

    manager_view = page(client)
    assert "David Chen" in manager_view and "david@example.com" in manager_view
    assert "No invitation is waiting for an answer." in manager_view
    assert "organization_member_added" in audit_kinds(app)


def test_a_visitor_is_asked_to_sign_in_and_comes_back_to_the_link(app, client, manager, invitee):
    link = invite(client, invitee.email)
    visitor = app.test_client()
    response = visitor.get(link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=" + link
    response = post_form(visitor, "/login?next=" + link, {"email": invitee.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == link


def test_invitation_link_works_once(app, client, manager, invitee):
    link = invite(client, invitee.email)
    david = browser_for(app, invitee)
    post_form(david, link, {})
    again = david.get(link)
    assert again.status_code == 409
    assert "You are already a member of this organization." in again.get_data(as_text=True)
    post_form(david, "/organization/leave", {})
    assert membership_of(app, invitee.id) is None
    used = post_form(david, link, {})
    assert used.status_code == 410
    assert "This invitation was already used." in used.get_data(as_text=True)
    assert membership_of(app, invitee.id) is None


def test_expired_invitation_cannot_be_used(app, client, manager, invitee):
    link = invite(client, invitee.email)
    expire_invitations(app)
    david = browser_for(app, invitee)
    for response in (david.get(link), post_form(david, link, {})):
        assert response.status_code == 410
        assert "This invitation has expired." in response.get_data(as_text=True)
    assert membership_of(app, invitee.id) is None
    assert "No invitation is waiting for an answer." in page(client), "expired ones leave the list"


def test_altered_link_is_refused(app, client, manager, invitee):
    link = invite(client, invitee.email)
    david = browser_for(app, invitee)
    for bad in (link[:-3] + "abc", JOIN + "x" * 300, JOIN + "not-a-token"):
        response = david.get(bad)
        assert response.status_code == 400
        assert "This link does not work" in response.get_data(as_text=True)


def test_invitation_for_another_address_is_refused(app, client, manager, invitee, make_user):
    link = invite(client, invitee.email)
    stranger = make_user(email="stranger@example.com")
    other = browser_for(app, stranger)
    for response in (other.get(link), post_form(other, link, {})):
        assert response.status_code == 403
        text = response.get_data(as_text=True)
        assert "sent to a different email address than yours (stranger@example.com)" in text
        assert "Parsian Trading" not in text and invitee.email not in text
    assert membership_of(app, stranger.id) is None
    assert "david@example.com" in page(client), "the invitation still waits for David"


def test_customer_in_another_organization_gets_a_clear_message(app, client, manager, invitee):
    link = invite(client, invitee.email)
    david = browser_for(app, invitee)
    start_organization(david, "Chen household", "household")
    response = post_form(david, link, {})
    assert response.status_code == 409
    assert "You already belong to Chen household." in response.get_data(as_text=True)
    assert membership_of(app, invitee.id) == (organization_id(app, "Chen household"), "manager")


def test_withdrawn_invitation_cannot_be_used(app, client, manager, invitee):
    link = invite(client, invitee.email)
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id))
    response = post_form(
        client, f"/organization/invitations/{invitation_id}/revoke", {}, follow_redirects=True
    )
    assert "The invitation is withdrawn" in response.get_data(as_text=True)
    assert "No invitation is waiting for an answer." in page(client)
    david = browser_for(app, invitee)
    response = david.get(link)
    assert response.status_code == 410
    assert "This invitation was withdrawn." in response.get_data(as_text=True)
    assert post_form(client, f"/organization/invitations/{invitation_id}/revoke", {}).status_code == 404


def test_a_new_invitation_replaces_the_earlier_link(app, client, manager, invitee):
    first = invite(client, invitee.email)
    second = invite(client, invitee.email)
    david = browser_for(app, invitee)
    assert david.get(first).status_code == 410
    assert post_form(david, second, {}).status_code == 302
    assert membership_of(app, invitee.id) is not None


def test_invitation_to_an_address_without_an_account_reads_the_same(app, client, manager, invitee):
    with_account = post_form(
        client, "/organization/invitations", {"email": invitee.email}, follow_redirects=True
    )
    without = post_form(
        client, "/organization/invitations", {"email": "nobody@example.com"}, follow_redirects=True
    )
    assert "We sent an invitation to david@example.com." in with_account.get_data(as_text=True)
    assert "We sent an invitation to nobody@example.com." in without.get_data(as_text=True)
    assert read_outbox(app)[-1]["To"].addresses[0].addr_spec == "nobody@example.com"
    assert "Hello nobody@example.com," in text_of(read_outbox(app)[-1])


def test_invite_form_checks_what_was_typed(app, client, manager):
    cases = [
        ({"email": ""}, "Enter the address to send the invitation to."),
        ({"email": "not an address"}, "Enter an email address like name@example.com."),
        ({"email": "a" * 250 + "@example.com"}, "An email address has at most 254 characters."),
        ({"email": "ok@example.com", "name": "n" * 101}, "A name has at most 100 characters."),
        ({"email": manager.email.upper()}, f"{manager.email} is already a member."),
    ]
    for data, message in cases:
        response = post_form(client, "/organization/invitations", data)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert read_outbox(app) == []


def test_pending_invitations_are_capped(app, client, manager):
    org = organization_id(app, "Parsian Trading")
    with app.app_context():
        for number in range(MAX_PENDING_INVITATIONS):
            db.session.add(
                Invitation(
                    organization_id=org,
                    email=f"p{number}@example.com",
                    expires_at=utcnow() + timedelta(days=1),
                )
            )
        db.session.commit()
    response = post_form(client, "/organization/invitations", {"email": "one-more@example.com"})
    assert response.status_code == 400
    assert "50 invitations are waiting for an answer." in response.get_data(as_text=True)
    assert read_outbox(app) == []


def test_invitations_are_rate_limited_per_account(app, client, manager):
    for number in range(20):
        assert (
            post_form(client, "/organization/invitations", {"email": f"p{number}@example.com"}).status_code
            == 302
        )
    assert post_form(client, "/organization/invitations", {"email": "p20@example.com"}).status_code == 429


def test_staff_account_cannot_join(app, client, manager, make_user):
    staff = make_user("agent", email="agent-joins@example.com")
    link = invite(client, staff.email)
    response = browser_for(app, staff).get(link)
    assert response.status_code == 403
    assert "Only customer accounts can join an organization." in response.get_data(as_text=True)


# --- managing members ----------------------------------------------------------------------------


@pytest.fixture
def member(app, client, manager, invitee) -> UserRecord:
    """David, who joined Sara's organization through her invitation."""
    link = invite(client, invitee.email)
    assert post_form(browser_for(app, invitee), link, {}).status_code == 302
    return invitee


def test_a_member_cannot_manage(app, member, manager):
    david = browser_for(app, member)
    assert post_form(david, "/organization/invitations", {"email": "x@example.com"}).status_code == 403
    assert post_form(david, f"/organization/members/{manager.id}/remove", {}).status_code == 403
    assert post_form(david, f"/organization/members/{member.id}/manager", {}).status_code == 403
    assert membership_of(app, manager.id)[1] == "manager"


def test_manager_removes_a_member(app, client, member):
    response = post_form(client, f"/organization/members/{member.id}/remove", {}, follow_redirects=True)
    assert "David Chen is no longer a member." in response.get_data(as_text=True)
    assert membership_of(app, member.id) is None
    assert "You do not belong to an organization." in page(browser_for(app, member))
    assert "organization_member_removed" in audit_kinds(app)


def test_manager_cannot_touch_people_of_another_organization(app, client, member, make_user):
    outsider = make_user(email="outsider@example.com")
    start_organization(browser_for(app, outsider), "Elsewhere", "company")
    for action in ("remove", "manager"):
        assert post_form(client, f"/organization/members/{outsider.id}/{action}", {}).status_code == 404
    assert post_form(client, "/organization/members/99999999999/remove", {}).status_code == 404
    assert membership_of(app, outsider.id) == (organization_id(app, "Elsewhere"), "manager")


def test_the_only_manager_hands_over_before_leaving(app, client, manager, member):
    response = post_form(client, "/organization/leave", {}, follow_redirects=True)
    assert "You are the only manager." in response.get_data(as_text=True)
    assert membership_of(app, manager.id) is not None
    response = post_form(client, f"/organization/members/{member.id}/manager", {}, follow_redirects=True)
    assert "David Chen is now a manager." in response.get_data(as_text=True)
    assert "Send invitation" in page(browser_for(app, member)), "the new manager manages"
    response = post_form(client, "/organization/leave", {}, follow_redirects=True)
    assert "You left Parsian Trading." in response.get_data(as_text=True)
    assert membership_of(app, manager.id) is None
    assert "organization_member_promoted" in audit_kinds(app)
    assert "organization_member_left" in audit_kinds(app)


def test_the_last_manager_cannot_be_removed(app, client, manager, member):
    post_form(client, f"/organization/members/{member.id}/manager", {})
    david = browser_for(app, member)
    assert post_form(david, f"/organization/members/{manager.id}/remove", {}).status_code == 302
    response = post_form(david, f"/organization/members/{member.id}/remove", {}, follow_redirects=True)
    assert "You left Parsian Trading." in response.get_data(as_text=True), "removing oneself is leaving"
    assert membership_of(app, member.id) is None


def test_a_member_leaves(app, member):
    david = browser_for(app, member)
    response = post_form(david, "/organization/leave", {}, follow_redirects=True)
    assert "You left Parsian Trading." in response.get_data(as_text=True)
    assert membership_of(app, member.id) is None


def test_member_list_is_paged(app, client, manager):
    org = organization_id(app, "Parsian Trading")
    with app.app_context():
        from portal.accounts.models import User

        for number in range(30):
            user = User(email=f"m{number:02d}@example.com", name=f"Member {number:02d}", password_hash="x")
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, organization_id=org, role="member"))
        db.session.commit()
    first = page(client)
    assert "Member 00" in first and "Member 24" in first and "Member 25" not in first
    next_link = first.split('<a href="/organization/?after=')[1].split('"')[0]
    second = page(client, f"/organization/?after={next_link}")
    assert "Member 25" in second and "Member 29" in second and "Sara Ahmadi" in second
    assert "Member 24" not in second
    assert page(client, "/organization/?after=99999999999999999999")  # a silly anchor is ignored


def test_member_list_pages_back_to_the_page_before(app, client, manager):
    org = organization_id(app, "Parsian Trading")
    with app.app_context():
        from portal.accounts.models import User

        for number in range(30):
            # Every name the same, so only the id orders them: a tie on the first key of (name, id).
            user = User(email=f"m{number:02d}@example.com", name="Same Name", password_hash="x")
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, organization_id=org, role="member"))
        db.session.commit()
    first = page(client)
    assert 'rel="prev"' not in first, "the first page has no page before it"
    after = re.search(r'href="/organization/\?after=(\d+)" rel="next"', first).group(1)
    second = page(client, f"/organization/?after={after}")
    before = re.search(r'href="/organization/\?before=(\d+)" rel="prev">Previous page', second).group(1)
    back = page(client, f"/organization/?before={before}")
    emails = re.compile(r"<td[^>]*>([^<]+@[^<]+)</td>")
    assert len(emails.findall(first)) == 25
    assert emails.findall(back) == emails.findall(first), "next then previous is the first page again"
    assert not set(emails.findall(second)) & set(emails.findall(first))
    assert 'rel="prev"' not in back
    broken = page(client, "/organization/?before=abc")
    assert emails.findall(broken) == emails.findall(first), "a broken link is the first page"


def test_staff_organization_list_pages_back(app, client, login_as):
    with app.app_context():
        for number in range(30):
            db.session.add(Organization(name=f"Company {number:02d}", kind="company"))
        db.session.commit()
    login_as("agent")
    first = page(client, "/staff/organizations/")
    after = re.search(r'/staff/organizations/\?after=(\d+)" rel="next"', first).group(1)
    second = page(client, f"/staff/organizations/?after={after}")
    assert "Company 25" in second and "Company 24" not in second
    before = re.search(r'/staff/organizations/\?before=(\d+)" rel="prev"', second).group(1)
    back = page(client, f"/staff/organizations/?before={before}")
    assert "Company 00" in back and "Company 24" in back and "Company 25" not in back
    assert 'rel="prev"' not in back and 'rel="next"' in back


# --- staff ----------------------------------------------------------------------------------------


def test_staff_set_up_an_organization_for_a_customer(app, client, login_as, make_user):
    buyer = make_user(name="Nasrin Buyer", email="nasrin@example.com")
    login_as("agent")
    response = post_form(
        client,
        "/staff/organizations/",
        {"name": "Tehran Textiles", "kind": "company", "manager_email": "Nasrin@Example.com"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Tehran Textiles is set up with Nasrin Buyer as its manager." in html
    assert "nasrin@example.com" in html
    assert membership_of(app, buyer.id) == (organization_id(app, "Tehran Textiles"), "manager")
    with app.app_context():
        actors = db.session.execute(
            select(AuditEvent.kind, AuditEvent.detail).where(AuditEvent.kind.like("organization_%"))
        ).all()
    assert [kind for kind, _detail in actors] == ["organization_created", "organization_member_added"]
    assert actors[1].detail["via"] == "staff"


def test_staff_create_form_needs_a_customer_in_no_organization(app, client, login_as, make_user):
    taken = make_user(email="taken@example.com", name="Taken Person")
    start_organization(browser_for(app, taken), "Already", "household")
    make_user("agent", email="colleague@example.com")
    login_as("agent")
    for email, message in [
        ("ghost@example.com", "No customer account has this address."),
        ("colleague@example.com", "No customer account has this address."),
        ("taken@example.com", "Taken Person already belongs to an organization."),
    ]:
        response = post_form(
            client, "/staff/organizations/", {"name": "New", "kind": "company", "manager_email": email}
        )
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert organization_id(app, "New") is None


def test_staff_add_a_manager_and_see_the_members(app, manager, member, make_user):
    org = organization_id(app, "Parsian Trading")
    helper = make_user(email="helper@example.com", name="Helper Customer")
    staff = app.test_client()
    log_in(staff, make_user("agent").email, TEST_PASSWORD)
    response = post_form(
        staff, f"/staff/organizations/{org}/managers", {"email": member.email}, follow_redirects=True
    )
    assert "David Chen is now a manager." in response.get_data(as_text=True)
    assert membership_of(app, member.id) == (org, "manager")
    post_form(staff, f"/staff/organizations/{org}/managers", {"email": helper.email})
    assert membership_of(app, helper.id) == (org, "manager")
    detail = page(staff, f"/staff/organizations/{org}")
    assert all(name in detail for name in ("Sara Ahmadi", "David Chen", "Helper Customer"))
    assert staff.get("/staff/organizations/424242").status_code == 404
    assert (
        post_form(staff, "/staff/organizations/424242/managers", {"email": helper.email}).status_code == 404
    )


def test_staff_list_searches_and_pages(app, client, login_as):
    with app.app_context():
        for number in range(30):
            db.session.add(Organization(name=f"Company {number:02d}", kind="company"))
        db.session.add(Organization(name="Karimi family", kind="household"))
        db.session.add(Organization(name="100% Fresh_Foods", kind="company"))
        db.session.commit()
    login_as("agent")
    first = page(client, "/staff/organizations/")
    assert "100% Fresh_Foods" in first and "Company 23" in first and "Company 24" not in first
    after = first.split("/staff/organizations/?after=")[1].split('"')[0]
    second = page(client, f"/staff/organizations/?after={after}")
    assert "Company 24" in second and "Karimi family" in second and "Company 00" not in second
    found = page(client, "/staff/organizations/?q=KARIMI")
    assert "Karimi family" in found and "Company 01" not in found
    percent = page(client, "/staff/organizations/?q=%25")
    underscore = page(client, "/staff/organizations/?q=_")
    for found in (percent, underscore):
        assert "100% Fresh_Foods" in found and "Company 00" not in found, "% and _ are searched as typed"
    assert "No organization matches." in page(client, "/staff/organizations/?q=nothing+like+it")
    too_long = client.get("/staff/organizations/?q=" + "x" * 121)
    assert too_long.status_code == 400
    assert "Search with at most 120 characters." in too_long.get_data(as_text=True)


def test_customers_cannot_reach_staff_organization_pages(client, manager):
    assert client.get("/staff/organizations/").status_code == 403
    assert client.get("/staff/organizations/1").status_code == 403


# --- demo data ------------------------------------------------------------------------------------


def test_demo_creates_the_organizations_once(app):
    runner = app.test_cli_runner()
    for _run in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        organizations = db.session.execute(
            select(Organization.name, Organization.kind).order_by(Organization.name)
        ).all()
        roles = dict(
            db.session.execute(select(Membership.role, func.count()).group_by(Membership.role)).all()
        )
    assert [tuple(row) for row in organizations] == [
        ("Karimi family", "household"),
        ("Parsian Trading", "company"),
    ]
    assert roles == {"manager": 2, "member": 1}
    sara = app.test_client()
    log_in(sara, "sara@example.com", DEMO_PASSWORD)
    html = page(sara)
    assert "Parsian Trading" in html and "David Chen" in html


# --- labels in the reader's language ---------------------------------------------------------------

LABELS = {
    "en": {"kind": "Company", "manager": "Manager", "member": "Member"},
    "fa": {"kind": "شرکت", "manager": "مدیر", "member": "عضو"},
}


def set_language(app: Flask, user: UserRecord, language: str) -> None:
    with app.app_context():
        db.session.get(User, user.id).language = language
        db.session.commit()


def has_word(word: str, html: str) -> bool:
    return re.search(rf"\b{word}\b", html) is not None


@pytest.mark.parametrize("first, then", [("fa", "en"), ("en", "fa")])
def test_organization_labels_follow_each_readers_language(
    app, client, manager, member, make_user, first, then
):
    """An imported label module is cached by the template engine: whoever read it first after a start
    must not decide the language of everyone after them."""
    org = organization_id(app, "Parsian Trading")
    admin = make_user("admin", email="admin@example.com")
    staff = browser_for(app, admin)
    readers = [
        (manager, client, "/organization/", ("kind", "manager", "member")),
        (member, browser_for(app, member), "/organization/", ("kind",)),
        (admin, staff, "/staff/organizations/", ("kind",)),
        (admin, staff, f"/staff/organizations/{org}", ("kind", "manager", "member")),
        (admin, staff, f"/staff/customers/{member.id}", ("kind", "member")),
    ]
    for language in (first, then):
        other = "fa" if language == "en" else "en"
        for person, browser, url, shown in readers:
            set_language(app, person, language)
            html = page(browser, url)
            for label in shown:
                assert has_word(LABELS[language][label], html), (language, url, label)
                assert not has_word(LABELS[other][label], html), (language, url, label)
