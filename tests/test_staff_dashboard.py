"""The staff dashboard: every plugin's figures as cards with server-drawn charts, each a way into its list."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from plugins.appointments.models import BOOKED, CANCELLED, Booking, Slot
from plugins.documents.models import Document, Download
from plugins.loyalty.models import Entry
from plugins.surveys import library
from plugins.surveys.models import Answer, Question, Response
from plugins.tickets.models import Message, Ticket
from portal.charts import WIDTH, area_chart, bar_chart
from portal.database import db, utcnow
from portal.figures import daily_totals, weekly_totals
from portal.testing import staff_figure, statements_run

ALL_PLUGINS = ("tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter")
HOSTILE = '<script>alert("x")</script> & co'


def chart_tree(markup: str) -> ET.Element:
    """The chart parsed as XML: it fails on anything not well formed (an unescaped ``<`` or ``&``)."""
    return ET.fromstring(str(markup))  # noqa: S314  (our own output, not untrusted input)


def local_name(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def find_all(tree: ET.Element, name: str) -> list[ET.Element]:
    return [element for element in tree.iter() if local_name(element) == name]


def table_rows(tree: ET.Element) -> list[tuple[str, str]]:
    return [
        ("".join(row[0].itertext()), "".join(row[1].itertext()))
        for row in find_all(tree, "tr")
        if local_name(row[0]) == "th" and row[0].get("scope") == "row"
    ]


POINTS = [(date(2026, 12, 1), 3.0), (date(2026, 12, 2), 0.0), (date(2026, 12, 3), 1234.0)]


# --- portal/charts.py ----------------------------------------------------------------------------


@pytest.mark.parametrize("draw", [area_chart, bar_chart])
def test_chart_is_well_formed_svg_with_an_accessible_name_and_escaped_text(app: Flask, draw):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        tree = chart_tree(draw([*POINTS, (HOSTILE, 2.0)], title=HOSTILE, period_heading="Day"))
    [svg] = find_all(tree, "svg")
    assert svg.get("role") == "img" and svg.get("aria-label") == HOSTILE
    assert "".join(find_all(tree, "caption")[0].itertext()) == HOSTILE
    assert table_rows(tree)[-1] == (HOSTILE, "2")
    assert not find_all(tree, "script"), "a label is text, never markup"
    assert not [element for element in tree.iter() if "style" in element.attrib], "the CSP forbids style="


@pytest.mark.parametrize("draw", [area_chart, bar_chart])
def test_chart_table_holds_every_number_in_the_readers_language(app: Flask, draw):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = table_rows(chart_tree(draw(POINTS, title="Tickets", period_heading="Day")))
    with app.test_request_context(headers={"Accept-Language": "fa"}):
        persian = table_rows(chart_tree(draw(POINTS, title="Tickets", period_heading="Day")))
    assert english == [("12/1/26", "3"), ("12/2/26", "0"), ("12/3/26", "1,234")]
    assert [value for _, value in persian] == ["۳", "۰", "۱٬۲۳۴"]
    assert persian[0][0] == "۱۴۰۵/۹/۱۰", "days in the reader's calendar"


def test_time_runs_in_the_reading_direction(app: Flask):
    def first_and_last_x(language: str, draw) -> tuple[float, float]:
        with app.test_request_context(headers={"Accept-Language": language}):
            tree = chart_tree(draw(POINTS, title="Tickets", period_heading="Day"))
        if draw is bar_chart:
            bars = find_all(tree, "rect")
            return float(bars[0].get("x")), float(bars[-1].get("x"))
        [line] = find_all(tree, "polyline")
        points = line.get("points").split()
        return float(points[0].split(",")[0]), float(points[-1].split(",")[0])

    assert first_and_last_x("en", area_chart) == (0.0, WIDTH), "oldest on the left in English"
    assert first_and_last_x("fa", area_chart) == (WIDTH, 0.0), "oldest on the right in Persian"
    english, persian = first_and_last_x("en", bar_chart), first_and_last_x("fa", bar_chart)
    assert english[0] < english[1] and persian[0] > persian[1]


def test_tallest_point_reaches_the_top_and_zeros_stay_on_the_baseline(app: Flask):
    with app.test_request_context():
        tree = chart_tree(bar_chart(POINTS, title="Tickets", period_heading="Day"))
        empty = chart_tree(bar_chart([(date(2026, 12, 1), 0.0)], title="None", period_heading="Day"))
    heights = [float(bar.get("height")) for bar in find_all(tree, "rect")]
    assert heights[1] == 0 and heights[2] == max(heights) > heights[0] > 0
    assert [float(bar.get("height")) for bar in find_all(empty, "rect")] == [0.0]


# --- portal/figures.py ---------------------------------------------------------------------------


@pytest.mark.plugins("tickets")
def test_daily_and_weekly_totals_group_in_sql_and_fill_empty_days(app: Flask, make_user):
    customer = make_user()
    now = utcnow()
    add_tickets(
        app,
        customer.id,
        [now, now, now - timedelta(days=2), now - timedelta(days=9), now - timedelta(days=30)],
    )
    with app.app_context():
        days = daily_totals(Ticket.created_at, days=14, now=now)
        weeks = weekly_totals(Ticket.created_at, weeks=2, now=now)
        urgent = daily_totals(Ticket.created_at, Ticket.priority == "urgent", days=3, now=now)
    assert (
        len(days) == 14
        and days[-1] == (now.date(), 2.0)
        and days[-3] == (now.date() - timedelta(days=2), 1.0)
    )
    assert sum(value for _, value in days) == 4, "the ticket 30 days old is outside the 14 days"
    assert weeks == [(now.date() - timedelta(days=13), 1.0), (now.date() - timedelta(days=6), 3.0)]
    assert urgent == [(now.date() - timedelta(days=n), 0.0) for n in (2, 1, 0)]


# --- The page ------------------------------------------------------------------------------------


def test_customers_cannot_see_the_staff_dashboard(client, login_as):
    login_as("customer")
    response = client.get("/staff/")
    assert response.status_code == 403 and "figure-card" not in response.get_data(as_text=True)


def test_an_empty_dashboard_says_what_to_do(client, login_as):
    login_as("admin")
    page = client.get("/staff/").get_data(as_text=True)
    assert "figure-card" not in page
    assert 'href="/staff/plugins">Choose plugins</a>' in page


def test_an_agent_is_told_who_can_switch_plugins_on(client, login_as):
    login_as("agent")
    page = client.get("/staff/").get_data(as_text=True)
    assert "an administrator can switch on plugins" in page and 'href="/staff/plugins"' not in page


def add_tickets(app: Flask, customer_id: int, created: list, **fields) -> list[int]:
    with app.app_context():
        tickets = [
            Ticket(
                customer_id=customer_id,
                subject=f"{fields.get('subject', 'Ticket')} {n}",
                category="question",
                priority=fields.get("priority", "normal"),
                status=fields.get("status", "new"),
                assignee_id=fields.get("assignee_id"),
                created_at=when,
                first_response_due=fields.get("due", utcnow() + timedelta(hours=24)),
                resolution_due=utcnow() + timedelta(days=5),
            )
            for n, when in enumerate(created)
        ]
        db.session.add_all(tickets)
        db.session.commit()
        return [ticket.id for ticket in tickets]


@pytest.mark.plugins("tickets")
def test_ticket_figures_count_and_link_to_the_queue_filtered_to_them(app, client, make_user, login_as):
    customer, colleague = make_user(), make_user("agent")
    now = utcnow()
    add_tickets(app, customer.id, [now, now - timedelta(days=1)], subject="Nobody has it")
    add_tickets(app, customer.id, [now], subject="Taken", assignee_id=colleague.id)
    add_tickets(app, customer.id, [now - timedelta(days=20)], subject="Late", due=now - timedelta(hours=1))
    add_tickets(app, customer.id, [now - timedelta(days=3)], subject="Done", status="resolved")
    login_as("agent")
    page = client.get("/staff/").get_data(as_text=True)
    assert staff_figure(page, "tickets.open") == "Open tickets 4"
    assert staff_figure(page, "tickets.unassigned") == "Waiting for an agent 3"
    assert staff_figure(page, "tickets.overdue") == "Past their response target 1"
    new = staff_figure(page, "tickets.new")
    assert new.startswith("New tickets, last 14 days 4 Previous period: 1 ")
    assert "New tickets per day, last 14 days" in new
    unassigned = client.get("/staff/tickets/?assignee=none").get_data(as_text=True)
    assert "Nobody has it 0" in unassigned and "Nobody has it 1" in unassigned and "Late 0" in unassigned
    assert "Taken 0" not in unassigned and "Done 0" not in unassigned
    overdue = client.get("/staff/tickets/?overdue=1").get_data(as_text=True)
    assert "Late 0" in overdue and "Nobody has it 0" not in overdue
    assert 'href="/staff/tickets/?assignee=none"' in page and 'href="/staff/tickets/?overdue=1"' in page


@pytest.mark.plugins("tickets")
def test_ticket_first_response_figure_reads_hours_in_the_readers_digits(app, client, make_user, login_as):
    customer = make_user()
    [ticket_id] = add_tickets(app, customer.id, [utcnow() - timedelta(hours=5)])
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.first_response_at = ticket.created_at + timedelta(hours=2, minutes=30)
        db.session.add(Message(ticket_id=ticket_id, from_staff=True, body="On it"))
        db.session.commit()
    login_as("agent", language="fa")
    page = client.get("/staff/").get_data(as_text=True)
    assert "۲٫۵" in staff_figure(page, "tickets.first_response")


@pytest.mark.plugins("loyalty")
def test_loyalty_figures_points_per_week_and_active_members(app, client, make_user, login_as):
    member, dormant = make_user(), make_user()
    now = utcnow()
    with app.app_context():
        db.session.add_all(
            [
                Entry(user_id=member.id, kind="earned", points=100, created_at=now),
                Entry(user_id=member.id, kind="goodwill", points=50, created_at=now - timedelta(days=20)),
                Entry(user_id=member.id, kind="redeemed", points=-30, created_at=now),
                Entry(user_id=member.id, kind="reversed", points=30, created_at=now),
                Entry(user_id=member.id, kind="earned", points=999, created_at=now - timedelta(days=70)),
                Entry(user_id=dormant.id, kind="earned", points=10, created_at=now - timedelta(days=200)),
            ]
        )
        db.session.commit()
    login_as("agent")
    page = client.get("/staff/").get_data(as_text=True)
    issued = staff_figure(page, "loyalty.issued")
    assert issued.startswith("Points issued, last 8 weeks 150 ")
    assert "Week starting" in issued and issued.endswith(" 100")
    assert staff_figure(page, "loyalty.redeemed").startswith("Points redeemed, last 8 weeks 30 ")
    assert staff_figure(page, "loyalty.active") == "Members active in the last 90 days 1"
    assert 'href="/staff/loyalty/"' in page


@pytest.mark.plugins("documents")
def test_document_figures_downloads_per_day_and_published_this_month(app, client, make_user, login_as):
    customer = make_user()
    now = utcnow()
    with app.app_context():
        fresh = Document(
            title="Price list 2027",
            category="notice",
            published=True,
            published_at=now,
            audience_key="all-customers",
        )
        old = Document(
            title="Old terms",
            category="notice",
            published=True,
            published_at=now - timedelta(days=70),
            audience_key="all-customers",
        )
        db.session.add_all([fresh, old])
        db.session.flush()
        db.session.add_all(
            [Download(document_id=fresh.id, user_id=customer.id, created_at=now) for _ in range(3)]
            + [Download(document_id=old.id, user_id=customer.id, created_at=now - timedelta(days=20))]
        )
        db.session.commit()
    login_as("agent")
    page = client.get("/staff/").get_data(as_text=True)
    assert staff_figure(page, "documents.downloads").startswith(
        "Downloads, last 14 days 3 Previous period: 1 "
    )
    assert staff_figure(page, "documents.published") == "Documents published this month 1"
    assert "Price list 2027" in client.get("/staff/documents/").get_data(as_text=True)


def add_survey_answers(app: Flask, template: str, values: list[int]) -> int:
    with app.app_context():
        survey, questions = library.build(template, None)
        survey.status = "published"
        db.session.add(survey)
        db.session.flush()
        for question in questions:
            question.survey_id = survey.id
            db.session.add(question)
        db.session.flush()
        scored = db.session.scalar(
            select(Question).where(Question.survey_id == survey.id, Question.kind.in_(("nps", "csat")))
        )
        for n, value in enumerate(values):
            response = Response(survey_id=survey.id, respondent=f"r{n}", submitted_at=utcnow())
            db.session.add(response)
            db.session.flush()
            db.session.add(Answer(response_id=response.id, question_id=scored.id, value=value))
        db.session.commit()
        return survey.id


@pytest.mark.plugins("surveys")
def test_survey_figures_responses_nps_and_csat(app, client, login_as):
    login_as("agent")
    page = client.get("/staff/").get_data(as_text=True)
    assert staff_figure(page, "surveys.responses").startswith("Survey responses, last 14 days 0 ")
    assert "figure-surveys.nps" not in page, "no NPS figure before anyone answered"
    nps = add_survey_answers(app, "nps", [10, 9, 3])
    add_survey_answers(app, "csat_ticket", [4, 5])
    page = client.get("/staff/").get_data(as_text=True)
    assert staff_figure(page, "surveys.responses").startswith("Survey responses, last 14 days 5 ")
    assert staff_figure(page, "surveys.nps") == "Net Promoter Score, last 90 days 33"
    assert staff_figure(page, "surveys.csat") == "Satisfaction (CSAT), last 90 days 4.5 / 5"
    assert f'href="/staff/surveys/{nps}/results"' in page
    assert client.get(f"/staff/surveys/{nps}/results").status_code == 200


@pytest.mark.plugins("appointments")
def test_appointment_figure_counts_live_bookings_of_the_coming_week(app, client, make_user, login_as):
    first, second = make_user(), make_user()
    now = utcnow()
    with app.app_context():
        soon = Slot(
            title="Fitting soon",
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=1),
            capacity=3,
            booked=1,
        )
        later = Slot(
            title="Fitting later",
            starts_at=now + timedelta(days=10),
            ends_at=now + timedelta(days=10, hours=1),
            capacity=3,
            booked=1,
        )
        db.session.add_all([soon, later])
        db.session.flush()
        db.session.add_all(
            [
                Booking(slot_id=soon.id, customer_id=first.id, status=BOOKED),
                Booking(slot_id=soon.id, customer_id=second.id, status=CANCELLED),
                Booking(slot_id=later.id, customer_id=first.id, status=BOOKED),
            ]
        )
        db.session.commit()
    login_as("agent")
    page = client.get("/staff/").get_data(as_text=True)
    assert staff_figure(page, "appointments.coming_week").startswith("Bookings, today and the next 6 days 1 ")
    assert "Fitting soon" in client.get("/staff/appointments/").get_data(as_text=True)


@pytest.mark.plugins(*ALL_PLUGINS)
def test_the_dashboard_asks_a_bounded_number_of_queries_whatever_the_data(app, client, make_user, login_as):
    login_as("agent")
    client.get("/staff/")
    with statements_run(app) as few:
        page = client.get("/staff/").get_data(as_text=True)
    customer = make_user()
    add_tickets(app, customer.id, [utcnow() - timedelta(days=n) for n in range(40)])
    add_survey_answers(app, "nps", list(range(11)))
    with statements_run(app) as many:
        client.get("/staff/")
    assert len(re.findall(r'class="figure-card', page)) >= 10
    assert len(many) == len(few) and len(few) <= 40, many
