"""CSV imports sent at once, as a retrying integration or two workers might: each row takes effect once.

Every attempt sends the same file behind one barrier, each through its own connection. Whatever each
is answered (created, or a clear refusal to try again), no answer is a server error, each customer
exists once and each receipt earns once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plugins.loyalty.models import Entry
from portal.accounts.models import User
from portal.database import db
from portal.testing import api_token, create_user
from portal.testing.races import race

pytestmark = pytest.mark.plugins("loyalty")

ATTEMPTS = 8
CUSTOMERS = "email,name\n" + "".join(f"racer{n}@example.com,Racer {n}\n" for n in range(20))


def test_the_same_customers_file_sent_at_once_makes_each_customer_once(app):
    staff = create_user(app, role="agent")
    headers = {"Authorization": api_token(app, staff.id, "customers:write"), "Content-Type": "text/csv"}
    clients = [app.test_client() for _ in range(ATTEMPTS)]
    answers = race(
        ATTEMPTS, lambda n: clients[n].post("/api/v1/imports/customers", data=CUSTOMERS, headers=headers)
    )
    statuses = [answer.status_code for answer in answers]
    assert all(status < 500 for status in statuses), statuses
    assert 201 in statuses
    with app.app_context():
        made = db.session.scalar(select(func.count()).select_from(User).where(User.email.like("racer%")))
    assert made == 20
    created = sum(answer.json["created"] for answer in answers if answer.status_code == 201)
    assert created == 20, "the counts answered add up to what was made"


def test_the_same_purchases_file_sent_at_once_credits_each_receipt_once(app):
    staff = create_user(app, role="agent")
    buyers = [create_user(app) for _ in range(3)]
    purchases = "email,amount,reference\n" + "".join(
        f"{buyer.email},25.00,RACE-{n}\n" for n, buyer in enumerate(buyers)
    )
    headers = {"Authorization": api_token(app, staff.id, "loyalty:write"), "Content-Type": "text/csv"}
    clients = [app.test_client() for _ in range(ATTEMPTS)]
    answers = race(
        ATTEMPTS,
        lambda n: clients[n].post("/api/v1/imports/loyalty.purchases", data=purchases, headers=headers),
    )
    statuses = [answer.status_code for answer in answers]
    assert all(status < 500 for status in statuses), statuses
    with app.app_context():
        credited = db.session.scalar(
            select(func.count()).select_from(Entry).where(Entry.user_id.in_([b.id for b in buyers]))
        )
    assert credited == 3
