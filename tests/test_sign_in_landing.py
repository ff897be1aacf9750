"""Where signing in leads: staff to the staff console, customers to their dashboard, `next` to itself."""

from __future__ import annotations

import pytest

from portal.testing import TEST_PASSWORD, log_in, post_form


@pytest.mark.parametrize(
    ("role", "landing"), [("customer", "/dashboard"), ("agent", "/staff/"), ("admin", "/staff/")]
)
def test_signing_in_lands_on_the_page_of_ones_role(app, client, make_user, role, landing):
    user = make_user(role)
    response = log_in(client, user.email, TEST_PASSWORD)
    assert response.headers["Location"] == landing
    assert client.get(landing).status_code == 200


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_a_safe_next_still_wins_for_staff(app, client, make_user, role):
    user = make_user(role)
    response = post_form(client, "/login?next=/account/", {"email": user.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/account/"


def test_an_unsafe_next_sends_staff_to_the_console(app, client, make_user):
    agent = make_user("agent")
    response = post_form(
        client, "/login?next=//evil.example/x", {"email": agent.email, "password": TEST_PASSWORD}
    )
    assert response.headers["Location"] == "/staff/"


@pytest.mark.parametrize(("role", "landing"), [("customer", "/dashboard"), ("agent", "/staff/")])
def test_opening_sign_in_when_signed_in_leads_to_the_same_place(app, client, make_user, role, landing):
    user = make_user(role)
    log_in(client, user.email, TEST_PASSWORD)
    assert client.get("/login").headers["Location"] == landing
