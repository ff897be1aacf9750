"""The insights dashboard: every figure against an independent count of the same data, on both databases.

A varied world is seeded through the real code paths (loyalty's ledger and rewards, the surveys'
submission) and through events stored as their plugins store them (with their times moved back),
then the refresh and grading run as the tick runs them. Each figure of the page and of its CSV is
compared with a count written here, plainly, over the same rows: loyalty's liability with the sum
of the balances in loyalty's own tables.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from plugins.insights.dashboard_periods import periods
from plugins.insights.grading import regrade
from plugins.insights.models import Complaint, Profile, StageChange
from plugins.insights.refresh import refresh
from portal.accounts.models import User
from portal.database import db, utcnow
from portal.events import StoredEvent
from portal.organizations.membership import add_member, create_organization
from portal.testing import TEST_PASSWORD, create_user, csrf_token, log_in
from portal.testing.events import emit_as_owner

pytestmark = pytest.mark.plugins("insights", "loyalty", "tickets", "surveys", "documents")

STAGES = ("awareness", "exploration", "expansion", "commitment", "dissolution")


# --- seeding ---------------------------------------------------------------------------------------


def customer(app: Flask, name: str, joined_days_ago: float = 30, visited_days_ago: float | None = 1) -> int:
    made = create_user(app, name=name)
    with app.app_context():
        user = db.session.get(User, made.id)
        user.created_at = utcnow() - timedelta(days=joined_days_ago)
        user.last_login_at = (
            utcnow() - timedelta(days=visited_days_ago) if visited_days_ago is not None else None
        )
        db.session.commit()
    return made.id


def at(days_ago: float) -> datetime:
    return utcnow() - timedelta(days=days_ago)


def emit_at(event, customer_id: int | None, days_ago: float) -> None:
    """Store ``event`` as its plugin would, then move it back in time; call inside an app context."""
    stored = emit_as_owner(event, customer_id)  # by nobody: not a visit of the customer
    db.session.flush()
    db.session.execute(update(StoredEvent).where(StoredEvent.id == stored.id).values(created_at=at(days_ago)))


def move_latest_events(name: str, customer_id: int, days_ago: float) -> None:
    """Move the customer's newest ``name`` event back in time (after a real code path stored it)."""
    latest = db.session.scalar(
        select(func.max(StoredEvent.id)).where(
            StoredEvent.name == name, StoredEvent.customer_id == customer_id
        )
    )
    db.session.execute(update(StoredEvent).where(StoredEvent.id == latest).values(created_at=at(days_ago)))


def earn(customer_id: int, points: int, days_ago: float, kind: str = "earned") -> None:
    from plugins.loyalty import ledger
    from plugins.loyalty.events import PurchaseRecorded

    entry = ledger.credit(customer_id, points, kind, reason="test")
    move_latest_events("loyalty.points_earned", customer_id, days_ago)
    if kind == "earned":
        emit_at(
            PurchaseRecorded(
                user_id=customer_id, entry_id=entry.id, points=points, amount_cents=points, reference=""
            ),
            customer_id,
            days_ago,
        )


def complaint(
    ticket_id: int, customer_id: int, opened_days_ago: float, resolved_days_ago: float | None
) -> None:
    from plugins.tickets.events import TicketCreated, TicketResolved

    emit_at(
        TicketCreated(ticket_id=ticket_id, customer_id=customer_id, category="complaint", priority="normal"),
        customer_id,
        opened_days_ago,
    )
    if resolved_days_ago is not None:
        emit_at(TicketResolved(ticket_id=ticket_id, customer_id=customer_id), customer_id, resolved_days_ago)


def rate(ticket_id: int, customer_id: int, rating: int, days_ago: float) -> None:
    from plugins.tickets.events import TicketRated

    emit_at(
        TicketRated(ticket_id=ticket_id, customer_id=customer_id, rating=rating, comment=""),
        customer_id,
        days_ago,
    )


def answer_nps(response_id: int, customer_id: int | None, score: int, days_ago: float) -> None:
    from plugins.surveys.events import SurveyCompleted

    emit_at(
        SurveyCompleted(survey_id=1, response_id=response_id, customer_id=customer_id, nps_score=score),
        customer_id,
        days_ago,
    )


def download(customer_id: int, document_id: int, days_ago: float) -> None:
    from plugins.documents.events import DocumentDownloaded

    emit_at(
        DocumentDownloaded(document_id=document_id, version_id=None, customer_id=customer_id),
        customer_id,
        days_ago,
    )


def seed(app: Flask) -> dict[str, int]:
    """Customers in every stage and grade, in two organizations, with complaints, ratings, answers,
    points earned, redeemed, cancelled, expired and deducted, and downloads."""
    people = {
        "whale": customer(app, "Wanda Whale", joined_days_ago=500, visited_days_ago=100),
        "loyal": customer(app, "Lola Loyal", joined_days_ago=500),
        "grower": customer(app, "Gus Grower", joined_days_ago=60),
        "newbie": customer(app, "Nina New", joined_days_ago=3, visited_days_ago=None),
        "unhappy": customer(app, "Umar Unhappy", joined_days_ago=200),
        "quiet": customer(app, "Quinn Quiet", joined_days_ago=300, visited_days_ago=150),
        "small": customer(app, "Sam Small", joined_days_ago=40),
    }
    admin_id = create_user(app, role="admin").id
    with app.app_context():
        from plugins.loyalty import ledger, rewards
        from plugins.loyalty.models import Entry, Reward

        atlas = create_organization("Atlas Ltd", "company", actor_id=None)
        boreal = create_organization("=Boreal+Co", "company", actor_id=None)
        for key in ("whale", "loyal", "unhappy"):
            add_member(atlas, db.session.get(User, people[key]), "member", actor_id=None, via="test")
        for key in ("grower", "quiet", "small"):
            add_member(boreal, db.session.get(User, people[key]), "member", actor_id=None, via="test")
        people["atlas"], people["boreal"] = atlas.id, boreal.id

        earn(people["whale"], 9000, 100.5)
        for days in (20.5, 40.5, 60.5, 80.5):
            earn(people["loyal"], 2000, days)
        for days in (5.5, 12.5, 19.5):
            earn(people["grower"], 300, days)
        earn(people["unhappy"], 900, 30.5)
        earn(people["small"], 50, 10.5)
        earn(people["small"], 25, 9.5, kind="goodwill")

        reward = Reward(title="Mug", cost=500, stock=10)
        db.session.add(reward)
        db.session.flush()
        kept = rewards.redeem(people["loyal"], reward.id, "first")
        move_latest_events("loyalty.reward_redeemed", people["loyal"], 15.5)
        cancelled = rewards.redeem(people["loyal"], reward.id, "second")
        rewards.cancel(cancelled, admin_id)
        assert kept.id != cancelled.id
        ledger.debit(people["unhappy"], 100, "adjusted", reason="correction", actor_id=admin_id)
        move_latest_events("loyalty.points_deducted", people["unhappy"], 8.5)
        lot = db.session.scalar(select(Entry).where(Entry.user_id == people["small"], Entry.kind == "earned"))
        lot.expires_at = at(2.5)
        db.session.flush()
        assert ledger.expire_due() == 50

        complaint(7001, people["unhappy"], opened_days_ago=30.5, resolved_days_ago=None)
        complaint(7002, people["unhappy"], opened_days_ago=20.5, resolved_days_ago=None)
        complaint(7003, people["whale"], opened_days_ago=50.5, resolved_days_ago=45.5)
        complaint(7004, people["grower"], opened_days_ago=15.5, resolved_days_ago=14.5)
        complaint(7005, people["small"], opened_days_ago=10.5, resolved_days_ago=3.5)

        rate(8001, people["whale"], 5, 40.5)
        rate(8002, people["loyal"], 4, 25.5)
        rate(8003, people["grower"], 3, 12.5)
        rate(8004, people["unhappy"], 1, 5.5)
        rate(8005, people["small"], 5, 5.5)

        answer_nps(9001, people["loyal"], 10, 30.5)
        answer_nps(9002, people["grower"], 9, 12.5)
        answer_nps(9003, people["unhappy"], 2, 6.5)
        answer_nps(9004, None, 7, 4.5)  # an anonymous survey's answer

        download(people["grower"], 1, 12.5)
        download(people["grower"], 2, 11.5)
        download(people["small"], 1, 40.5)
        download(people["loyal"], 1, 100.5)  # before the 12 weeks
        db.session.commit()

        refresh()
        regrade()
        db.session.commit()
        # The first placements, moved back so the funnel has a history to show.
        db.session.execute(
            update(StageChange).where(StageChange.old_stage.is_(None)).values(created_at=at(35.5))
        )
        db.session.commit()
    return people


# --- the independent counts ------------------------------------------------------------------------


def members_of(app: Flask, organization_id: int | None) -> set[int]:
    with app.app_context():
        from portal.organizations.models import Membership

        customers = set(db.session.scalars(select(User.id).where(User.role == "customer")))
        if organization_id is None:
            return customers
        return customers & set(
            db.session.scalars(
                select(Membership.user_id).where(Membership.organization_id == organization_id)
            )
        )


def expected(app: Flask, chosen: set[int], kind: str = "weeks", unfiltered: bool = True) -> dict:
    """Every dashboard figure, counted in Python over plain reads of the same rows."""
    with app.app_context():
        from plugins.loyalty.models import Account

        now = utcnow()
        spans = periods(kind, now)
        profiles = [p for p in db.session.scalars(select(Profile)) if p.customer_id in chosen]
        changes = [c for c in db.session.scalars(select(StageChange)) if c.customer_id in chosen]
        events = [
            e
            for e in db.session.scalars(select(StoredEvent))
            if (e.customer_id in chosen)
            or (unfiltered and e.customer_id is None and e.name == "surveys.completed")
        ]
        complaints = [c for c in db.session.scalars(select(Complaint)) if c.customer_id in chosen]
        balances = sum(a.balance for a in db.session.scalars(select(Account)) if a.user_id in chosen)

    def index_of(moment: datetime) -> int | None:
        for index, span in enumerate(spans):
            if span.start <= moment < span.end:
                return index
        return None

    funnel = {stage: [0] * len(spans) for stage in STAGES}
    for index, span in enumerate(spans):
        latest: dict[int, StageChange] = {}
        for change in sorted(changes, key=lambda c: (c.created_at, c.id)):
            if change.created_at <= span.end:
                latest[change.customer_id] = change
        for change in latest.values():
            funnel[change.new_stage][index] += 1

    resolved = [c for c in complaints if c.resolved_at is not None and index_of(c.resolved_at) is not None]
    durations = [(c.resolved_at - c.opened_at).total_seconds() / 86400 for c in resolved]
    in_range = [e for e in events if index_of(e.created_at) is not None]
    ratings = [e.payload["rating"] for e in in_range if e.name == "tickets.rated"]
    scores = [e.payload["nps_score"] for e in in_range if e.name == "surveys.completed"]
    downloaders = {e.customer_id for e in in_range if e.name == "documents.downloaded"}
    redeemed = sum(e.payload["points"] for e in in_range if e.name == "loyalty.reward_redeemed")
    cancelled = sum(e.payload["points"] for e in in_range if e.name == "loyalty.redemption_cancelled")
    return {
        "spans": spans,
        "customers": len(chosen),
        "stages": {stage: sum(1 for p in profiles if p.stage == stage) for stage in STAGES},
        "grades": {grade: sum(1 for p in profiles if p.grade == grade) for grade in "ABC"},
        "at_risk": sum(1 for p in profiles if p.at_risk),
        "valuable": sorted(
            (p for p in profiles if p.at_risk and p.grade in "AB"), key=lambda p: (-p.value, -p.customer_id)
        ),
        "funnel": funnel,
        "opened": sum(1 for c in complaints if index_of(c.opened_at) is not None),
        "resolved": len(resolved),
        "median_days": statistics.median(durations) if durations else None,
        "average_days": statistics.mean(durations) if durations else None,
        "csat": sum(1 for r in ratings if r >= 4) / len(ratings) if ratings else None,
        "nps": (sum(1 for s in scores if s >= 9) - sum(1 for s in scores if s <= 6)) * 100 / len(scores)
        if scores
        else None,
        "liability": balances,
        "reach": len(downloaders),
        "redeemed_points": redeemed - cancelled,
        "ratings_per": [
            sum(1 for e in in_range if e.name == "tickets.rated" and index_of(e.created_at) == n)
            for n in range(len(spans))
        ],
        "nps_per": [
            sum(1 for e in in_range if e.name == "surveys.completed" and index_of(e.created_at) == n)
            for n in range(len(spans))
        ],
    }


# --- reading the page and the CSV --------------------------------------------------------------------


def figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{re.escape(name)}"[^>]*>([^<]*)<', page)
    assert found, f"the page shows the figure {name}"
    return found.group(1).strip()


def csv_figures(text: str) -> dict[tuple[str, str, str], str]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Figure", "Detail", "Period from", "Value"]
    return {(row[0], row[1], row[2]): row[3] for row in rows[1:]}


def as_number(value: float | None) -> str:
    return "" if value is None else str(round(value, 1))


def assert_dashboard_matches(client, app: Flask, chosen: set[int], query: str = "", unfiltered: bool = True):
    want = expected(app, chosen, unfiltered=unfiltered)
    page = client.get(f"/staff/insights/{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert figure(html, "customers") == f"{want['customers']:,}"
    assert figure(html, "at-risk") == f"{want['at_risk']:,}"
    assert figure(html, "liability") == f"{want['liability']:,}"
    assert figure(html, "reach") == f"{want['reach']:,}"
    for stage in STAGES:
        assert figure(html, f"stage-{stage}") == f"{want['stages'][stage]:,}"
    for grade in "ABC":
        assert figure(html, f"grade-{grade}") == f"{want['grades'][grade]:,}"
    for profile in want["valuable"]:
        assert f'id="valuable-{profile.customer_id}"' in html
    positions = [html.index(f'id="valuable-{p.customer_id}"') for p in want["valuable"]]
    assert positions == sorted(positions), "the most valuable first"
    csat = figure(html, "csat")
    assert csat == (f"{round(want['csat'] * 100)}%" if want["csat"] is not None else "No ratings")

    export = client.get(f"/staff/insights/dashboard.csv{query}")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    cells = csv_figures(export.get_data(as_text=True))
    assert cells[("Customers", "", "")] == str(want["customers"])
    assert cells[("Customers at risk", "", "")] == str(want["at_risk"])
    assert cells[("Grade A or B customers at risk", "", "")] == str(len(want["valuable"]))
    assert cells[("Points liability", "", "")] == str(want["liability"])
    assert cells[("Complaints opened", "whole period", "")] == str(want["opened"])
    assert cells[("Complaints resolved", "whole period", "")] == str(want["resolved"])
    assert cells[("Median days to resolve", "whole period", "")] == as_number(want["median_days"])
    assert cells[("Average days to resolve", "whole period", "")] == as_number(want["average_days"])
    assert cells[("Customers who downloaded a document", "whole period", "")] == str(want["reach"])
    for grade, label in zip("ABC", ("A", "B", "C"), strict=True):
        assert cells[("Customers by grade", label, "")] == str(want["grades"][grade])
    labels = {"awareness": "Awareness", "exploration": "Exploration", "expansion": "Expansion"}
    labels |= {"commitment": "Commitment", "dissolution": "At risk"}
    for stage in STAGES:
        assert cells[("Customers by stage now", labels[stage], "")] == str(want["stages"][stage])
        for index, span in enumerate(want["spans"]):
            key = ("Customers by stage at the period's end", labels[stage], span.first_day.isoformat())
            assert cells[key] == str(want["funnel"][stage][index]), (stage, index)
    days = [span.first_day.isoformat() for span in want["spans"]]
    assert [int(cells[("Ticket ratings", "", day)]) for day in days] == want["ratings_per"]
    assert [int(cells[("NPS answers", "", day)]) for day in days] == want["nps_per"]
    nps_answers = sum(want["nps_per"])
    redeemed = sum(int(cells[("Points redeemed", "", day)]) for day in days)
    assert redeemed == want["redeemed_points"]
    return want, html, cells, nps_answers


# --- the tests -------------------------------------------------------------------------------------


def test_every_figure_equals_an_independent_count(app, client):
    people = seed(app)
    admin = create_user(app, role="admin")
    log_in(client, admin.email, TEST_PASSWORD)
    want, html, _cells, nps_answers = assert_dashboard_matches(client, app, members_of(app, None))

    # The world is as varied as meant: every figure has something to count.
    assert want["at_risk"] >= 3 and len(want["valuable"]) >= 1 and want["resolved"] == 3
    assert sum(1 for stage in STAGES if want["stages"][stage]) >= 3
    assert want["liability"] > 0 and want["reach"] == 2
    assert nps_answers == 4, "the anonymous answer counts when nobody is filtered out"
    whole_nps = (2 - 1) * 100 / 4
    assert figure(html, "nps") == f"{round(whole_nps)}"
    assert people["whale"] in {p.customer_id for p in want["valuable"]}
    assert "no visit for 100 days" in html
    assert "Write to them" in html and "/staff/tickets/new?q=" in html


def test_the_liability_is_every_balance_in_loyaltys_own_tables(app, client):
    seed(app)
    with app.app_context():
        from plugins.insights.dashboard import build
        from plugins.insights.dashboard_filters import Filters
        from plugins.loyalty.models import Account, Entry

        board = build(Filters(), utcnow())
        balances = db.session.scalar(select(func.sum(Account.balance)))
        entries = db.session.scalar(select(func.sum(Entry.points)))
        assert board.liability == balances == entries
        issued = sum(row.issued for row in board.points)
        redeemed = sum(row.redeemed for row in board.points)
        expired = sum(row.expired for row in board.points)
        deducted = sum(row.deducted for row in board.points)
        assert (redeemed, expired, deducted) == (500, 50, 100)
        assert issued == 9000 + 4 * 2000 + 3 * 300 + 900 + 50 + 25 - 9000, "the whale earned before the range"


def test_filters_by_organization_and_segment_narrow_every_figure(app, client):
    people = seed(app)
    admin = create_user(app, role="admin")
    log_in(client, admin.email, TEST_PASSWORD)
    atlas = members_of(app, people["atlas"])
    want, *_ = assert_dashboard_matches(
        client, app, atlas, f"?organization={people['atlas']}", unfiltered=False
    )
    assert want["customers"] == 3

    with app.app_context():
        at_risk = set(db.session.scalars(select(Profile.customer_id).where(Profile.at_risk.is_(True))))
    assert_dashboard_matches(client, app, at_risk, "?segment=insights.at_risk", unfiltered=False)
    both = atlas & at_risk
    assert_dashboard_matches(
        client, app, both, f"?organization={people['atlas']}&segment=insights.at_risk", unfiltered=False
    )
    months = client.get(f"/staff/insights/?organization={people['boreal']}&period=months")
    assert months.status_code == 200


def test_an_organizations_name_cannot_run_as_a_formula_in_the_csv(app, client):
    people = seed(app)
    login = create_user(app, role="admin")
    log_in(client, login.email, TEST_PASSWORD)
    text = client.get(f"/staff/insights/dashboard.csv?organization={people['boreal']}").get_data(as_text=True)
    filter_rows = [row for row in csv.reader(io.StringIO(text)) if row and row[0] == "Filter"]
    assert len(filter_rows) == 1
    assert "=Boreal+Co" in filter_rows[0][1]
    assert not any(
        cell.startswith(("=", "+", "-", "@")) for row in csv.reader(io.StringIO(text)) for cell in row
    )


@pytest.mark.parametrize(
    "query",
    [
        "?organization=999999",
        "?organization=abc",
        "?segment=nobody.here",
        "?segment=organization:1",
        "?period=decade",
    ],
)
def test_an_unknown_filter_gets_a_clear_message(app, client, login_as, query):
    login_as("admin")
    for path in ("/staff/insights/", "/staff/insights/dashboard.csv"):
        response = client.get(path + query)
        assert response.status_code == 400
        assert "choose" in response.get_data(as_text=True).lower()
    odd = client.get("/staff/insights/customers?stage=nowhere&grade=Z&risk=maybe")
    assert odd.status_code == 400


def test_each_figure_links_to_the_customers_behind_it(app, client):
    people = seed(app)
    admin = create_user(app, role="admin")
    log_in(client, admin.email, TEST_PASSWORD)
    html = client.get("/staff/insights/").get_data(as_text=True)
    assert "/staff/insights/customers?risk=1" in html
    assert "/staff/insights/customers?stage=dissolution" in html
    assert "/staff/insights/customers?grade=A" in html
    risky = client.get(f"/staff/insights/customers?risk=1&grade=A&grade=B&organization={people['atlas']}")
    assert risky.status_code == 200
    listed = risky.get_data(as_text=True)
    assert "Wanda Whale" in listed and "Quinn Quiet" not in listed
    with app.app_context():
        dissolving = db.session.scalars(
            select(User.name)
            .join(Profile, Profile.customer_id == User.id)
            .where(Profile.stage == "dissolution")
        ).all()
    stage_page = client.get("/staff/insights/customers?stage=dissolution").get_data(as_text=True)
    assert all(name in stage_page for name in dissolving)


def test_who_may_open_the_dashboard(app, client, make_user):
    for path in ("/staff/insights/", "/staff/insights/dashboard.csv", "/staff/insights/customers"):
        assert client.get(path).status_code in (302, 401)
        assert "/login" in client.get(path).headers.get("Location", "")
    for role, status in (("customer", 403), ("agent", 403), ("admin", 200)):
        person = make_user(role)
        log_in(client, person.email, TEST_PASSWORD)
        for path in ("/staff/insights/", "/staff/insights/dashboard.csv", "/staff/insights/customers"):
            assert client.get(path).status_code == status, (role, path)
        client.get("/logout")
        client.delete_cookie("session")


def test_the_dashboard_is_the_admins_insights_link_and_agents_keep_the_at_risk_list(app, client, login_as):
    login_as("agent")
    page = client.get("/staff/insights/at-risk").get_data(as_text=True)
    assert 'href="/staff/insights/at-risk"' in page and 'href="/staff/insights/"' not in page
    other = app.test_client()
    admin = create_user(app, role="admin")
    log_in(other, admin.email, TEST_PASSWORD)
    page = other.get("/staff/insights/at-risk").get_data(as_text=True)
    assert 'href="/staff/insights/"' in page and 'href="/staff/insights/at-risk"' in page


def test_an_admin_sets_a_valuable_customers_stage_from_the_dashboard(app, client):
    people = seed(app)
    admin = create_user(app, role="admin")
    log_in(client, admin.email, TEST_PASSWORD)
    html = client.get("/staff/insights/").get_data(as_text=True)
    whale = people["whale"]
    assert f'action="/staff/insights/customers/{whale}/stage"' in html
    back = re.search(rf'id="valuable-{whale}".*?name="back" value="([^"]*)"', html, re.S).group(1)
    done = client.post(
        f"/staff/insights/customers/{whale}/stage",
        data={
            "csrf_token": csrf_token(client),
            "stage": "commitment",
            "reason": "Called; renewing",
            "back": back,
        },
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/staff/insights/")
    html = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Stage set." in html
    assert "set by staff: Commitment" in html, "the row says the stage staff set"
    with app.app_context():
        profile = db.session.get(Profile, whale)
        assert (profile.stage, profile.stage_overridden, profile.at_risk) == ("commitment", True, True)
        reason = db.session.scalar(
            select(StageChange.reason).where(StageChange.customer_id == whale).order_by(StageChange.id.desc())
        )
    assert reason == "Called; renewing"
    again = client.post(
        f"/staff/insights/customers/{whale}/stage",
        data={"csrf_token": csrf_token(client), "stage": "commitment", "reason": "twice", "back": back},
        follow_redirects=True,
    )
    assert "already" in again.get_data(as_text=True), "compare-and-set: a second click changes nothing"
    elsewhere = client.post(
        f"/staff/insights/customers/{whale}/stage/release",
        data={"csrf_token": csrf_token(client), "reason": "", "back": "https://evil.example/"},
    )
    assert elsewhere.headers["Location"].endswith(f"/staff/customers/{whale}#insights-relationship")


def test_a_submitted_survey_carries_its_nps_answer(app):
    from plugins.surveys import answering, library

    person = customer(app, "Nadia Nps")
    with app.app_context():
        survey, questions = library.build("nps", None)
        survey.status = "published"
        survey.audience_key = "all-customers"
        db.session.add(survey)
        db.session.flush()
        for question in questions:
            question.survey_id = survey.id
            db.session.add(question)
        db.session.flush()
        response = answering.get_or_start_response(survey, person)
        nps = next(q for q in questions if q.kind == "nps")
        form = {
            f"q{q.id}": ["9" if q.id == nps.id else "fine"]
            for q in questions
            if q.kind in ("nps", "long_text", "short_text")
        }
        assert answering.save_answers(response, questions, form) == {}
        assert answering.submit(survey, response, person)
        db.session.commit()
        payload = db.session.scalar(
            select(StoredEvent.payload).where(StoredEvent.name == "surveys.completed")
        )
    assert payload["nps_score"] == 9
