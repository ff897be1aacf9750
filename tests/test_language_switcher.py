"""The language switcher on every page: remembered for visitors in a cookie, for people in their account.

It is a form posted with the CSRF token (no JavaScript needed) and sends the reader back only to a
path on this portal.
"""

from __future__ import annotations

import pytest

from portal.accounts.models import User
from portal.database import db
from portal.testing import post_form


def test_every_page_offers_each_language_named_in_itself(client):
    for path in ("/login", "/register", "/"):
        page = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert 'lang="en"' in page and ">English</button>" in page
        assert 'lang="fa"' in page and ">فارسی</button>" in page


def test_a_visitor_switches_to_persian_and_the_sign_in_page_stays_persian(client):
    switched = post_form(client, "/language", {"language": "fa", "next": "/login"})
    assert switched.status_code == 302 and switched.headers["Location"] == "/login"
    cookie = switched.headers["Set-Cookie"]
    assert "portal_language=fa" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="fa" dir="rtl"' in page
    assert "ورود" in page
    assert client.get("/register").get_data(as_text=True).count('dir="rtl"') >= 1, (
        "remembered on the next page"
    )


def test_a_signed_in_persons_choice_is_kept_in_their_account(app, client, login_as):
    person = login_as(language="en")
    post_form(client, "/language", {"language": "fa", "next": "/account/"})
    with app.app_context():
        assert db.session.get(User, person.id).language == "fa"
    client.delete_cookie("portal_language")
    assert 'lang="fa"' in client.get("/account/").get_data(as_text=True), "the account, not the cookie"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", ""]
)
def test_the_switcher_sends_nobody_to_another_site(client, target):
    response = post_form(client, "/language", {"language": "fa", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_without_the_csrf_token_or_with_an_unknown_language_nothing_changes(client):
    forged = client.post("/language", data={"language": "fa", "next": "/login"})
    assert "portal_language" not in forged.headers.get("Set-Cookie", "")
    unknown = post_form(client, "/language", {"language": "xx", "next": "/login"})
    assert "portal_language" not in unknown.headers.get("Set-Cookie", "")
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
