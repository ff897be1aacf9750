"""A customer's copy of their data, and what deleting an account does to what others share with them."""

from __future__ import annotations

import json

from sqlalchemy import select

from portal.accounts.models import User
from portal.database import db
from portal.notifications.service import notify
from portal.organizations.membership import add_member, create_organization
from portal.organizations.models import Invitation, Membership
from portal.sent_mail import SentMail
from portal.testing import TEST_PASSWORD, post_form


def _organization(app, manager_id, *member_ids, name="Parsian Trading"):
    with app.app_context():
        organization = create_organization(name, "company", actor_id=None)
        add_member(organization, db.session.get(User, manager_id), "manager", actor_id=None, via="staff")
        for member_id in member_ids:
            add_member(organization, db.session.get(User, member_id), "member", actor_id=None, via="staff")
        db.session.commit()
        return organization.id


def test_export_holds_organization_and_notifications(app, client, login_as):
    customer = login_as()
    _organization(app, customer.id)
    with app.test_request_context():
        notify(db.session.get(User, customer.id), "core.account", "Welcome aboard", url="/dashboard")
        db.session.commit()
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    assert data["organization"]["name"] == "Parsian Trading"
    assert data["organization"]["role"] == "manager"
    [received] = data["notifications"]["received"]
    assert (received["title"], received["url"], received["read_at"]) == ("Welcome aboard", "/dashboard", None)
    [emailed] = data["emails_sent"]
    assert emailed["subject"] == "Welcome aboard", "the notification's email is in the copy too"
    assert emailed["sent_at"].endswith("Z") and emailed["delivered_at"].endswith("Z")
    assert set(emailed) == {"subject", "sent_at", "delivered_at"}


def test_export_holds_only_the_mail_sent_to_that_person(app, client, login_as, make_user):
    login_as()
    other = make_user()
    with app.test_request_context():
        notify(db.session.get(User, other.id), "core.account", "Not yours")
        db.session.commit()
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    assert data["emails_sent"] == []
    with app.app_context():
        assert db.session.scalars(select(SentMail.user_id)).all() == [other.id]


def test_deleting_the_only_manager_hands_the_organization_to_the_longest_member(
    app, client, login_as, make_user
):
    manager = login_as()
    first, second = make_user(), make_user()
    organization_id = _organization(app, manager.id, first.id, second.id)
    with app.test_request_context():
        for person in (manager, first):
            notify(db.session.get(User, person.id), "core.account", "Your organization changed")
        db.session.commit()
    with app.app_context():
        db.session.add(
            Invitation(organization_id=organization_id, email=manager.email, expires_at=db.func.now())
        )
        db.session.commit()

    response = post_form(client, "/account/delete", {"current_password": TEST_PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        roles = dict(db.session.execute(select(Membership.user_id, Membership.role)).all())
        invitations = db.session.scalars(select(Invitation).where(Invitation.email == manager.email)).all()
        mailed = db.session.scalars(select(SentMail.user_id)).all()
    assert roles == {first.id: "manager", second.id: "member"}
    assert invitations == []
    assert mailed == [first.id], "the deleted person's mail record goes with the account, no one else's"
