"""The customers behind each event-based dashboard figure: every list against an independent reading.

The world of test_insights_dashboard.py is seeded; then, for each figure, period and filter, the
customers the list shows are compared with those a plain Python pass over the same rows finds (the
points owed with the balances in loyalty's own tables). Links on the dashboard open; bad arguments
are refused with a message; a list costs the same statements whatever the data.
"""

from __future__ import annotations

import html as markup
import re
from collections import defaultdict
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from test_insights_dashboard import answer_nps, download, members_of, rate, seed

from plugins.insights.dashboard_periods import Period, periods
from plugins.insights.models import Complaint, Profile
from portal.database import db, utcnow
from portal.events import StoredEvent
from portal.testing import TEST_PASSWORD, create_user, log_in, statements_run

pytestmark = pytest.mark.plugins("insights", "loyalty", "tickets", "surveys", "documents")

FIGURES = (
    "complaints-opened",
    "complaints-resolved",
    "rated",
    "rated-unhappy",
    "nps-answered",
    "nps-detractors",
    "points-issued",
    "points-redeemed",
    "points-owed",
    "downloaded",
)
LIST = "/staff/insights/customers"


# --- the independent reading -------------------------------------------------------------------------


def window(spans: list[Period], span: str) -> tuple[datetime, datetime]:
    """The moments a link's ``span`` covers: one period, or the whole range."""
    if span == "whole":
        return spans[0].start, spans[-1].end
    chosen = spans[int(span)]
    return chosen.start, chosen.end


def expected_customers(app: Flask, figure: str, chosen: set[int], kind: str, span: str) -> set[int]:
    """The customers behind ``figure``, found by reading every row in Python."""
    with app.app_context():
        start, end = window(periods(kind, utcnow()), span)
        inside = lambda moment: moment is not None and start <= moment < end  # noqa: E731
        complaints = list(db.session.scalars(select(Complaint)))
        events = [e for e in db.session.scalars(select(StoredEvent)) if e.customer_id in chosen]
        if figure == "points-owed":
            from plugins.loyalty.models import Account

            return {a.user_id for a in db.session.scalars(select(Account)) if a.balance > 0} & chosen
    found: set[int]
    if figure == "complaints-opened":
        found = {c.customer_id for c in complaints if inside(c.opened_at)}
    elif figure == "complaints-resolved":
        found = {c.customer_id for c in complaints if inside(c.resolved_at)}
    elif figure in ("points-issued", "points-redeemed"):
        found = _points_movers(figure, [e for e in events if inside(e.created_at)])
    else:
        found = {e.customer_id for e in events if inside(e.created_at) and _counts(figure, e)}
    return found & chosen


def _counts(figure: str, event: StoredEvent) -> bool:
    """Whether one rating, answer or download is of ``figure``."""
    rating, score = event.payload.get("rating"), event.payload.get("nps_score")
    return {
        "rated": event.name == "tickets.rated" and rating is not None,
        "rated-unhappy": event.name == "tickets.rated" and rating is not None and rating <= 3,
        "nps-answered": event.name == "surveys.completed" and score is not None,
        "nps-detractors": event.name == "surveys.completed" and score is not None and score <= 6,
        "downloaded": event.name == "documents.downloaded",
    }[figure]


def _points_movers(figure: str, events: list[StoredEvent]) -> set[int]:
    """Customers issued points (give-backs aside), or with a redemption not cancelled, in the events."""
    totals: dict[int, int] = defaultdict(int)
    for event in events:
        points = event.payload.get("points") or 0
        if figure == "points-issued":
            issued = event.name == "loyalty.points_earned" and event.payload.get("kind") != "reversed"
            totals[event.customer_id] += points if issued else 0
        elif event.name == "loyalty.reward_redeemed":
            totals[event.customer_id] += points
        elif event.name == "loyalty.redemption_cancelled":
            totals[event.customer_id] -= points
    return {customer for customer, total in totals.items() if total > 0}


# --- reading the pages -------------------------------------------------------------------------------


def listed(client: FlaskClient, query: str) -> list[int]:
    """The customer ids a list shows, in its order (one page: the world is small)."""
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200, (query, response.get_data(as_text=True)[:500])
    page = response.get_data(as_text=True)
    assert 'rel="next"' not in page
    return [int(found) for found in re.findall(r'data-customer="(\d+)"', page)]


def links_on(page: str) -> list[str]:
    return [markup.unescape(found) for found in re.findall(rf'href="({LIST}\?[^"]*)"', page)]


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> dict[str, int]:
    people = seed(app)
    admin = create_user(app, role="admin")
    log_in(client, admin.email, TEST_PASSWORD)
    return people


# --- the tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("figure", FIGURES)
def test_each_list_holds_exactly_the_customers_behind_its_figure(app, client, world, figure):
    everyone = members_of(app, None)
    spans = ["whole", *(str(index) for index in range(12))]
    seen = set()
    for span in spans:
        want = expected_customers(app, figure, everyone, "weeks", span)
        got = listed(client, f"figure={figure}&span={span}")
        assert sorted(got) == sorted(want), (figure, span)
        assert len(got) == len(set(got)), "each customer once"
        seen |= set(got)
    assert seen, f"the seeded world has customers behind {figure}"


@pytest.mark.parametrize("figure", FIGURES)
def test_the_filters_and_the_months_narrow_every_list(app, client, world, figure):
    atlas = members_of(app, world["atlas"])
    boreal = members_of(app, world["boreal"])
    with app.app_context():
        at_risk = set(db.session.scalars(select(Profile.customer_id).where(Profile.at_risk.is_(True))))
    cases = [
        (atlas, "weeks", f"organization={world['atlas']}"),
        (boreal, "months", f"organization={world['boreal']}&period=months"),
        (at_risk, "weeks", "segment=insights.at_risk"),
        (atlas & at_risk, "weeks", f"organization={world['atlas']}&segment=insights.at_risk"),
    ]
    for chosen, kind, query in cases:
        want = expected_customers(app, figure, chosen, kind, "whole")
        got = listed(client, f"figure={figure}&span=whole&{query}")
        assert sorted(got) == sorted(want), (figure, query)
    flagged = listed(client, f"figure={figure}&risk=1")
    assert sorted(flagged) == sorted(expected_customers(app, figure, at_risk, "weeks", "whole"))


def test_document_reach_has_as_many_customers_as_its_list(app, client, world):
    page = client.get("/staff/insights/").get_data(as_text=True)
    reach = int(re.search(r'data-figure="reach"[^>]*>([^<]*)<', page).group(1))
    assert reach == len(listed(client, "figure=downloaded&span=whole")) == 2
    cells = re.search(r'id="insights-reach".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    per_period = [int(count.replace(",", "")) for count in re.findall(r'span=\d+"[^>]*>([\d,]+)<', cells)]
    assert len(per_period) == 12
    for index, count in enumerate(per_period):
        assert count == len(listed(client, f"figure=downloaded&span={index}")), index


def test_the_points_owed_list_the_balances_largest_first(app, client, world):
    from plugins.loyalty.models import Account

    with app.app_context():
        accounts = [a for a in db.session.scalars(select(Account)) if a.balance > 0]
        order = [a.user_id for a in sorted(accounts, key=lambda a: (-a.balance, -a.user_id))]
        liability = sum(a.balance for a in accounts)
    response = client.get(f"{LIST}?figure=points-owed")
    page = response.get_data(as_text=True)
    assert [int(found) for found in re.findall(r'data-customer="(\d+)"', page)] == order
    shown = re.findall(r'data-label="Points owed">([\d,]+)<', page)
    assert sum(int(points.replace(",", "")) for points in shown) == liability
    assert "Customers owed points now, the largest balance first" in page


def test_each_list_says_which_figure_and_period_it_shows(app, client, world):
    spans = periods("weeks", utcnow())
    page = client.get(f"{LIST}?figure=complaints-opened&span=11").get_data(as_text=True)
    assert "Customers who opened a complaint in the week from" in page
    assert f"{spans[11].first_day.day}" in page
    whole = client.get(f"{LIST}?figure=rated-unhappy").get_data(as_text=True)
    assert "Customers who rated a ticket 3 or less in the last 12 weeks" in whole
    months = client.get(f"{LIST}?figure=downloaded&period=months&span=11").get_data(as_text=True)
    assert "Customers who downloaded a document in " in months
    answered = client.get(f"{LIST}?figure=nps-answered").get_data(as_text=True)
    assert "anonymous surveys name nobody" in answered
    assert "anonymous" not in client.get(f"{LIST}?figure=rated").get_data(as_text=True)


def test_every_figure_links_to_its_customers_and_every_link_opens(app, client, world):
    for query in ("", f"?organization={world['atlas']}&period=months"):
        page = client.get(f"/staff/insights/{query}").get_data(as_text=True)
        links = links_on(page)
        figures = {re.search(r"figure=([\w-]+)", link).group(1) for link in links if "figure=" in link}
        assert figures == set(FIGURES)
        assert any("span=whole" in link for link in links) and any("span=11" in link for link in links)
        if query:
            assert all(f"organization={world['atlas']}" in link and "period=months" in link for link in links)
        for link in links:
            assert client.get(link).status_code == 200, link
    liability = re.search(r'<a href="[^"]*figure=points-owed[^"]*" data-figure="liability">([^<]*)<', page)
    assert liability, "the headline figure is itself the link"
    unhappy = r'figure=rated-unhappy&amp;span=3[^"]*">[\d,]+<span class="visually-hidden"> \(([^)]*)\)'
    hint = re.search(unhappy, page)
    assert hint and hint.group(1).startswith("Customers who rated a ticket 3 or less, the period from")


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("figure=nope", "no such figure"),
        ("figure=" + "x" * 5000, "no such figure"),
        ("figure=Rated", "no such figure"),
        ("figure=rated&span=12", "a number from 0 to 11"),
        ("figure=rated&span=-1", "a number from 0 to 11"),
        ("figure=rated&span=99999999999999999999999", "a number from 0 to 11"),
        ("figure=rated&span=1.5", "a number from 0 to 11"),
        ("figure=rated&span=whole&period=decade", "choose a period"),
    ],
)
def test_a_bad_figure_or_period_is_refused_with_a_message(client, login_as, query, words):
    login_as("admin")
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert words in response.get_data(as_text=True).lower()


def test_a_list_costs_the_same_statements_whatever_the_data(app, client, world):
    def statements() -> dict[str, int]:
        counts = {}
        for figure in FIGURES:
            client.get(f"{LIST}?figure={figure}&span=whole")
            with statements_run(app) as seen:
                assert client.get(f"{LIST}?figure={figure}&span=whole").status_code == 200
            counts[figure] = len(seen)
        return counts

    before = statements()
    extra = [create_user(app, name=f"Extra {number}").id for number in range(30)]
    with app.app_context():
        for number, person in enumerate(extra):
            rate(20_000 + number, person, 2, 3.5)
            answer_nps(30_000 + number, person, 3, 3.5)
            download(person, 1, 3.5)
        db.session.commit()
    assert statements() == before
