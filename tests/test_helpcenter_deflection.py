"""The help center on the ticket form and beside agents' replies, and the questions it answered.

Suggestions while typing and the no-JavaScript "Check these first" step; readings from the ticket
form settled by feedback or by a real ``tickets.created`` event; the deflection figures, the staff
page behind them; and the agents' tools: article links and drafts made from answers.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugins.helpcenter import deflection, service
from plugins.helpcenter.models import BODY_MAX, DRAFT, PUBLISHED, TITLE_MAX, Article, Feedback, Reading
from plugins.tickets.models import Ticket
from portal.events import StoredEvent
from portal.organizations.models import Membership, Organization
from portal.plugin import User, db, set_setting, utcnow
from portal.staff.plugin_switch import switch_plugin
from portal.testing import TEST_PASSWORD, log_in, post_form, staff_figure, statements_run

pytestmark = pytest.mark.plugins("helpcenter", "tickets")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PARCEL_BODY = "Parcels arrive within five working days. Track yours under Orders, then Tracking."


def add_article(
    app: Flask, title: str, body: str = PARCEL_BODY, *, audience: str = "everyone", status: str = PUBLISHED
) -> int:
    with app.app_context():
        author = db.session.scalar(select(User).where(User.role == "agent").limit(1))
        if author is None:
            author = User(email="author@example.com", name="Author", role="agent", password_hash="x")
            db.session.add(author)
            db.session.flush()
        article = service.save_article(
            None,
            title=title,
            body=body,
            translations=None,
            category_id=None,
            audience=audience,
            author=author,
        )
        if status != DRAFT:
            service.set_status(article, status, author)
        db.session.commit()
        return article.id


def organization_with(app: Flask, user_id: int, name: str) -> int:
    with app.app_context():
        organization = Organization(name=name, kind="company")
        db.session.add(organization)
        db.session.flush()
        db.session.add(Membership(user_id=user_id, organization_id=organization.id, role="member"))
        db.session.commit()
        return organization.id


def send_ticket(client: FlaskClient, subject: str = "My parcel is late", body: str = "Where is it?", **extra):
    data = {"subject": subject, "body": body, "category": "problem", "priority": "normal", **extra}
    return post_form(client, "/tickets/new", data, content_type="multipart/form-data")


def count(app: Flask, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def readings(app: Flask) -> list[tuple[int, int | None, str | None, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(Reading.article_id, Reading.user_id, Reading.outcome, Reading.ticket_id)
            .where(Reading.from_ticket_form.is_(True))
            .order_by(Reading.id)
        )
        return [tuple(row) for row in rows]


def add_reading(
    app: Flask, article_id: int, user_id: int, *, ago: timedelta, outcome=None, form=True
) -> None:
    with app.app_context():
        db.session.add(
            Reading(
                article_id=article_id,
                user_id=user_id,
                from_ticket_form=form,
                outcome=outcome,
                created_at=utcnow() - ago,
            )
        )
        db.session.commit()


def switch_to(client: FlaskClient, user) -> None:
    client.post("/logout", data={})
    client.delete_cookie("session")
    log_in(client, user.email, TEST_PASSWORD)


def edit_url(app: Flask, article_id: int) -> str:
    with app.test_request_context():
        return url_for("helpcenter_staff.edit", article_id=article_id)


def titles_in(html: str) -> list[str]:
    return re.findall(r'target="_blank" rel="noopener"><bdi[^>]*>([^<]+)</bdi>', html)


# ---- suggestions while typing --------------------------------------------------------------------


def test_suggestions_match_the_subject_and_respect_each_articles_audience(app, client, login_as, make_user):
    customer = login_as()
    other = make_user()
    mine = organization_with(app, customer.id, "Parsian")
    theirs = organization_with(app, other.id, "Other Co")
    add_article(app, "Where is my parcel")
    add_article(app, "Parcel tracking for Parsian", audience=f"organization:{mine}")
    add_article(app, "Parcel deals for Other Co", audience=f"organization:{theirs}")
    add_article(app, "Parcel draft not ready", status=DRAFT)
    add_article(app, "Resetting your password", "Choose Forgot password on the sign-in page.")

    fragment = client.get("/help/suggestions?subject=parcel", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert sorted(titles_in(fragment)) == ["Parcel tracking for Parsian", "Where is my parcel"]
    assert "from=ticket-form" in fragment and 'target="_blank" rel="noopener"' in fragment
    assert "Parcels arrive within five working days" in fragment, "each with an excerpt"
    assert '<input type="hidden" name="suggestions_seen" value="yes">' in fragment

    nothing = client.get("/help/suggestions?subject=invoice").get_data(as_text=True)
    assert titles_in(nothing) == [] and "suggestions_seen" not in nothing
    assert client.get("/help/suggestions?subject=" + "parcel " * 500).status_code == 200


def test_staff_who_read_drafts_are_never_suggested_one(app, client, login_as):
    add_article(app, "Parcel draft not ready", status=DRAFT)
    add_article(app, "Where is my parcel")
    login_as("agent")
    assert titles_in(client.get("/help/suggestions?subject=parcel").get_data(as_text=True)) == [
        "Where is my parcel"
    ]


def test_at_most_five_suggestions(app, client, login_as):
    login_as()
    for number in range(7):
        add_article(app, f"Parcel question {number}")
    fragment = client.get("/help/suggestions?subject=parcel").get_data(as_text=True)
    assert len(titles_in(fragment)) == 5


def test_the_ticket_form_loads_suggestions_as_the_subject_is_typed(app, client, login_as):
    login_as()
    add_article(app, "Where is my parcel")
    page = client.get("/tickets/new").get_data(as_text=True)
    region = re.search(r'<div id="helpcenter-suggestions"[^>]*>', page).group(0)
    assert 'aria-live="polite"' in region and 'hx-get="/help/suggestions"' in region
    assert (
        'hx-trigger="input changed delay:300ms from:#subject"' in region and 'hx-include="#subject"' in region
    )
    assert titles_in(page) == []

    again = send_ticket(client, body="").get_data(as_text=True)
    assert titles_in(again) == ["Where is my parcel"], "a form shown again lists the matches at once"
    assert "Check these first" not in again


def test_visitors_and_the_setting_switched_off_get_no_suggestions(app, client, login_as):
    add_article(app, "Where is my parcel")
    assert client.get("/help/suggestions?subject=parcel").status_code == 302, "customers only"
    login_as()
    with app.app_context():
        set_setting("helpcenter", "suggest_on_ticket_form", False, actor_id=None)
        db.session.commit()
    assert titles_in(client.get("/help/suggestions?subject=parcel").get_data(as_text=True)) == []
    assert "helpcenter-suggestions" not in client.get("/tickets/new").get_data(as_text=True)
    assert send_ticket(client).status_code == 302, "no step either"


# ---- the "Check these first" step without JavaScript ---------------------------------------------


def test_first_submit_shows_articles_and_opens_nothing_the_second_opens_the_ticket(app, client, login_as):
    login_as()
    add_article(app, "Where is my parcel")
    first = send_ticket(client, body="Ordered last week, still nothing")
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and count(app, Ticket) == 0
    assert "Check these first" in page and "Open my ticket anyway" in page
    assert "Where is my parcel" in page and "from=ticket-form" in page
    assert 'value="My parcel is late"' in page and "Ordered last week, still nothing</textarea>" in page
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]*)"', page).group(1)
    second = send_ticket(client, body="Ordered last week, still nothing", token=token, suggestions_seen="yes")
    assert second.status_code == 302 and count(app, Ticket) == 1


def test_no_step_with_files_attached_or_when_nothing_matches(app, client, login_as):
    login_as()
    add_article(app, "Where is my parcel")
    assert send_ticket(client, files=[(io.BytesIO(PNG), "label.png")]).status_code == 302
    assert send_ticket(client, subject="Invoice address", body="Wrong street").status_code == 302
    assert count(app, Ticket) == 2


def test_no_step_with_the_help_center_switched_off(app, client, login_as):
    login_as()
    add_article(app, "Where is my parcel")
    with app.app_context():
        switch_plugin("helpcenter", False, actor_id=None)
        db.session.commit()
    assert "helpcenter-suggestions" not in client.get("/tickets/new").get_data(as_text=True)
    assert send_ticket(client).status_code == 302 and count(app, Ticket) == 1


# ---- deflection: readings settled by feedback and by tickets -------------------------------------


def test_a_ticket_after_reading_settles_the_open_readings_through_the_event(app, client, login_as, make_user):
    customer = login_as()
    parcel = add_article(app, "Where is my parcel")
    returns = add_article(app, "Returning a parcel")
    refund = add_article(app, "Refund times")
    client.get(f"/help/articles/{parcel}?from=ticket-form")
    client.get(f"/help/articles/{returns}?from=ticket-form")
    client.get(f"/help/articles/{refund}?from=ticket-form")
    client.get(f"/help/articles/{refund}")  # not from the form: not a deflection reading
    post_form(client, f"/help/articles/{returns}/feedback", {"helpful": "yes"})
    add_reading(app, parcel, customer.id, ago=timedelta(hours=30))  # before the 24-hour window
    someone_else = make_user()
    add_reading(app, parcel, someone_else.id, ago=timedelta(hours=1))

    ticket_id = int(
        send_ticket(client, suggestions_seen="yes").headers["Location"].rstrip("/").split("/")[-1]
    )

    assert sorted(readings(app), key=repr) == sorted(
        [
            (parcel, customer.id, "ticket", ticket_id),
            (returns, customer.id, "helped", None),
            (refund, customer.id, "ticket", ticket_id),
            (parcel, customer.id, None, None),
            (parcel, someone_else.id, None, None),
        ],
        key=repr,
    )
    post_form(client, f"/help/articles/{parcel}/feedback", {"helpful": "no"})
    assert (parcel, customer.id, "ticket", ticket_id) in readings(app), "a settled reading stays settled"


def test_a_repeated_delivery_changes_nothing(app, client, login_as):
    customer = login_as()
    parcel = add_article(app, "Where is my parcel")
    client.get(f"/help/articles/{parcel}?from=ticket-form")
    first = int(send_ticket(client, suggestions_seen="yes").headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        row = db.session.scalar(select(StoredEvent).where(StoredEvent.name == "tickets.created"))
        deflection.handle_event(row.as_event())
        db.session.commit()
    assert readings(app) == [(parcel, customer.id, "ticket", first)]


def test_figures_count_readings_from_the_form_by_how_they_ended(app, make_user):
    customer = make_user()
    parcel = add_article(app, "Where is my parcel")
    refund = add_article(app, "Refund times")
    add_reading(app, parcel, customer.id, ago=timedelta(days=2), outcome="helped")
    add_reading(app, parcel, customer.id, ago=timedelta(days=3))  # no ticket within 24 hours: answered
    add_reading(app, parcel, customer.id, ago=timedelta(hours=2))  # waiting
    add_reading(app, parcel, customer.id, ago=timedelta(days=1), outcome="ticket")
    add_reading(app, refund, customer.id, ago=timedelta(days=4), outcome="ticket")
    add_reading(app, refund, customer.id, ago=timedelta(days=5), outcome="ticket")
    add_reading(app, refund, customer.id, ago=timedelta(days=6), outcome="not_helped")
    add_reading(app, refund, customer.id, ago=timedelta(days=6), form=False)  # not from the form
    add_reading(app, refund, customer.id, ago=timedelta(days=40), outcome="ticket")  # before the period
    with app.app_context():
        since = utcnow() - timedelta(days=30)
        figures = deflection.deflection_figures(since)
        assert (figures.answered, figures.ticket, figures.not_helped, figures.waiting) == (2, 3, 1, 1)
        assert figures.rate == pytest.approx(2 / 6)
        failed = deflection.failed_articles(since, 10)
        assert [(row.article.title, row.tickets, row.not_helped) for row in failed] == [
            ("Refund times", 2, 1),
            ("Where is my parcel", 1, 0),
        ]
        assert deflection.deflection_figures(utcnow()).rate is None, "nothing decided: not known, not 0%"
    with statements_run(app) as seen, app.app_context():
        deflection.deflection_figures(since)
        deflection.failed_articles(since, 10)
    assert len([s for s in seen if "helpcenter_readings" in s]) == 2, "one query each, however many readings"


# ---- the staff page and the dashboard figure ----------------------------------------------------


def test_staff_read_the_figure_and_the_page_behind_it(app, client, login_as, make_user):
    customer = make_user()
    parcel = add_article(app, "Where is my parcel")
    refund = add_article(app, "Refund times")
    for _answered in range(2):
        add_reading(app, parcel, customer.id, ago=timedelta(days=2), outcome="helped")
    add_reading(app, refund, customer.id, ago=timedelta(days=2), outcome="not_helped")
    with app.app_context():
        db.session.add(
            Feedback(article_id=refund, user_id=customer.id, helpful=False, comment="Says nothing on VAT")
        )
        db.session.add(Feedback(article_id=refund, user_id=None, helpful=False, comment=""))
        db.session.commit()
    assert client.get("/staff/help/deflection").status_code == 302
    login_as()
    assert client.get("/staff/help/deflection").status_code == 403

    switch_to(client, make_user("agent"))
    home = client.get("/staff/").get_data(as_text=True)
    assert staff_figure(home, "helpcenter.deflection").startswith(
        "Questions answered by the help center (last 30 days) 67%"
    )
    assert 'href="/staff/help/deflection"' in home
    page = client.get("/staff/help/deflection").get_data(as_text=True)
    assert re.search(r"Answered</th><td>2<", page) and re.search(r"Did not help</th><td>1<", page)
    assert "67%" in page
    assert f'href="{edit_url(app, refund)}"' in page and "Says nothing on VAT" in page
    assert client.get("/staff/help/deflection?days=9999").status_code == 200


# ---- agents' tools on the ticket page -----------------------------------------------------------


def open_answered_ticket(client: FlaskClient, make_user) -> tuple[int, object]:
    customer = make_user()
    log_in(client, customer.email, TEST_PASSWORD)
    ticket_id = int(
        send_ticket(client, subject="Where is my parcel?", suggestions_seen="yes")
        .headers["Location"]
        .rstrip("/")
        .split("/")[-1]
    )
    switch_to(client, make_user("agent"))
    post_form(
        client,
        f"/staff/tickets/{ticket_id}/reply",
        {"body": "Track it under **Orders**."},
        content_type="multipart/form-data",
    )
    return ticket_id, customer


def test_an_answer_becomes_a_draft_article_to_review(app, client, make_user):
    ticket_id, customer = open_answered_ticket(client, make_user)
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert page.count("Turn into an article") == 1, "under the staff answer only, not the customer's message"
    assert 'id="helpcenter-article-search"' in page and 'data-reply-field="body"' in page

    back = f"/staff/tickets/{ticket_id}"
    refused_reply = post_form(
        client,
        f"{back}/reply",
        {"body": ""},
        headers={"Referer": f"http://localhost{back}"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert f'name="back" type="hidden" value="{back}"' in refused_reply, (
        "back to the page, not to the form's address"
    )
    made = post_form(
        client,
        "/staff/help/draft-from-answer",
        {
            "title": "Where is my parcel? " + "x" * TITLE_MAX,
            "body": "Track it under **Orders**.",
            "back": back,
        },
    )
    with app.app_context():
        article = db.session.scalar(select(Article))
    assert made.status_code == 302 and made.headers["Location"].endswith(edit_url(app, article.id))
    with app.app_context():
        article = db.session.scalar(select(Article))
        assert (article.status, article.audience, article.category_id) == (DRAFT, "all-customers", None)
        assert len(article.title) == TITLE_MAX and article.body == "Track it under **Orders**."
    follow = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Review it, then publish it" in follow

    too_long = post_form(
        client, "/staff/help/draft-from-answer", {"title": "Long", "body": "x" * (BODY_MAX + 1), "back": back}
    )
    assert too_long.status_code == 302 and too_long.headers["Location"].endswith(back)
    assert "longer than an article may be" in client.get(back).get_data(as_text=True)
    assert count(app, Article) == 1, "a refused answer makes no article"

    switch_to(client, customer)
    refused = post_form(client, "/staff/help/draft-from-answer", {"title": "x", "body": "y", "back": back})
    assert refused.status_code == 403
    assert "Turn into an article" not in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)


def test_a_forged_return_address_is_refused(app, client, login_as):
    login_as("agent")
    response = post_form(client, "/staff/help/draft-from-answer", {"title": "", "body": "", "back": "//evil"})
    assert response.status_code == 400 and count(app, Article) == 0


def test_agents_find_published_articles_as_markdown_links(app, client, login_as, make_user):
    parcel = add_article(app, "Where is my [parcel]")
    add_article(app, "Parcel draft", status=DRAFT)
    login_as("agent")
    fragment = client.get("/staff/help/article-links?q=parcel", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert f"[Where is my \\[parcel\\]](http://localhost/help/articles/{parcel})" in fragment
    assert "Parcel draft" not in fragment and "Insert link" in fragment
    page = client.get("/staff/help/article-links?q=parcel").get_data(as_text=True)
    assert "<h1>Link a help article</h1>" in page and "Insert link" not in page, "no JavaScript: text to copy"
    assert "at most 200 characters" in client.get("/staff/help/article-links?q=" + "p" * 201).get_data(
        as_text=True
    )
    switch_to(client, make_user())
    assert client.get("/staff/help/article-links?q=parcel").status_code == 403
