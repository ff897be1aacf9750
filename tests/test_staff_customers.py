"""The staff console's customer list and 360° page: search, filters, paging, access and panels."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from portal_example_plugin.models import Note
from sqlalchemy import select

from portal.accounts.models import User
from portal.database import db
from portal.testing import statements_run

ROW_LINK = re.compile(r'<th scope="row"><a href="/staff/customers/(\d+)">')
OLDER_LINK = re.compile(r'<a href="([^"]+)" rel="next">')
NEWER_LINK = re.compile(r'<a href="([^"]+)" rel="prev">')
JOINED = datetime(2026, 3, 1, 12, 0, 0)


def seed(
    app: Flask, count: int, role: str = "customer", prefix: str = "person", **fields: object
) -> list[int]:
    """Add accounts straight to the database (no sign-in needed); three share each join time."""
    with app.app_context():
        people = [
            User(
                email=f"{prefix}-{role}-{index}@example.com",
                name=f"{prefix.title()} {index}",
                role=role,
                password_hash="not-used",
                created_at=JOINED - timedelta(minutes=index // 3),
                **fields,
            )
            for index in range(count)
        ]
        db.session.add_all(people)
        db.session.commit()
        return [person.id for person in people]


def listed_ids(page: str) -> list[int]:
    return [int(found) for found in ROW_LINK.findall(page)]


def expected_order(app: Flask, ids: list[int]) -> list[int]:
    """The order the list promises: newest join first, the higher id first among equal times."""
    with app.app_context():
        rows = db.session.execute(select(User.id, User.created_at).where(User.id.in_(ids))).all()
    return [row.id for row in sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True)]


@pytest.mark.parametrize(("role", "status"), [(None, 302), ("customer", 403), ("agent", 200), ("admin", 200)])
def test_only_staff_reach_the_customer_pages(client, login_as, make_user, role, status):
    person = make_user("customer")
    if role:
        login_as(role)
    assert client.get("/staff/customers/").status_code == status
    assert client.get(f"/staff/customers/{person.id}").status_code == status


def test_staff_navigation_links_to_customers(client, login_as):
    login_as("agent")
    page = client.get("/staff/").get_data(as_text=True)
    assert '<a href="/staff/customers/">Customers</a>' in page
    assert "/staff/settings/" not in page, "settings are for administrators"


def test_list_shows_what_staff_need_at_a_glance(app, client, login_as, make_user):
    login_as("agent")
    make_user("customer", name="Ada Lovelace", email="ada@example.com")
    make_user("customer", name="Unconfirmed Ulla", email="ulla@example.com", verified=False)
    page = client.get("/staff/customers/").get_data(as_text=True)
    ada = re.search(
        r'<tr id="customer-\d+">\s*<th scope="row"><a[^>]*><bdi>Ada Lovelace</bdi></a>(.*?)</tr>', page, re.S
    )
    assert ada, page
    cells = re.findall(r"<td[^>]*>(.*?)</td>", ada.group(1), re.S)
    assert cells[0] == "ada@example.com"
    assert cells[1] == "Yes"
    assert cells[3] == "Never", "a customer who never signed in says so"
    assert "Not yet" in page.split("Unconfirmed Ulla")[1].split("</tr>")[0]


def test_search_finds_name_or_email_whatever_the_case(app, client, login_as, make_user):
    login_as("agent")
    ada = make_user("customer", name="Ada Lovelace", email="countess@example.com")
    grace = make_user("customer", name="Grace Hopper", email="grace.h@example.com")
    juice = make_user("customer", name="100% Juice", email="juice@example.com")
    assert listed_ids(client.get("/staff/customers/?q=LOVELACE").get_data(as_text=True)) == [ada.id]
    assert listed_ids(client.get("/staff/customers/?q=Grace.H@").get_data(as_text=True)) == [grace.id]
    # % and _ are searched for literally, not as SQL wildcards.
    assert listed_ids(client.get("/staff/customers/?q=%25").get_data(as_text=True)) == [juice.id]
    nobody = client.get("/staff/customers/?q=zzz").get_data(as_text=True)
    assert listed_ids(nobody) == [] and "Nobody matches" in nobody


def test_role_filter_lists_customers_unless_asked_otherwise(client, login_as, make_user):
    agent = login_as("agent")
    person = make_user("customer")
    admin = make_user("admin")
    assert listed_ids(client.get("/staff/customers/").get_data(as_text=True)) == [person.id]
    assert listed_ids(client.get("/staff/customers/?role=agent").get_data(as_text=True)) == [agent.id]
    everyone = client.get("/staff/customers/?role=all").get_data(as_text=True)
    assert sorted(listed_ids(everyone)) == sorted([agent.id, person.id, admin.id])
    assert ">Administrator</td>" in everyone, "with everyone listed, the role is shown"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=" + "x" * 101, "Search with at most 100 characters."),
        ("role=owner", "Choose a role from the list."),
        ("before=yesterday", "That page link is broken."),
        ("before=2026-13-01T00:00:00_5", "That page link is broken."),
        ("before=2026-01-01T00:00:00%2B05:00_5", "That page link is broken."),
        ("before=" + "1" * 61, "That page link is broken."),
        ("before=2026-01-01T00:00:00_2147483648", "That page link is broken."),
        ("before=2026-01-01T00:00:00_123456789012345678", "That page link is broken."),
        ("before=~", "That page link is broken."),
        ("before=~2026-01-01T00:00:00", "That page link is broken."),
        ("before=~~2026-01-01T00:00:00_5", "That page link is broken."),
    ],
)
def test_bad_list_input_gets_a_clear_message(client, login_as, query, message):
    login_as("agent")
    response = client.get(f"/staff/customers/?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_older_pages_follow_the_cursor_without_duplicates_or_gaps(app, client, login_as):
    login_as("agent")
    ids = seed(app, 60)
    seed(app, 3, prefix="other")  # does not match the search, must never appear
    first = client.get("/staff/customers/?q=person").get_data(as_text=True)
    older = unescape(OLDER_LINK.search(first).group(1))
    assert "q=person" in older and "role=customer" in older, "the older link keeps the filters"
    second = client.get(older).get_data(as_text=True)
    assert OLDER_LINK.search(second) is None, "the last page has no older link"
    assert len(listed_ids(first)) == 50
    assert listed_ids(first) + listed_ids(second) == expected_order(app, ids)


def test_newer_link_goes_back_to_the_page_before(app, client, login_as):
    login_as("agent")
    ids = seed(app, 120)  # three share each join time: ties on the first key of (joined, id)
    pages = [client.get("/staff/customers/").get_data(as_text=True)]
    assert NEWER_LINK.search(pages[0]) is None, "the newest page has no newer link"
    for _ in range(2):
        pages.append(client.get(unescape(OLDER_LINK.search(pages[-1]).group(1))).get_data(as_text=True))
    assert [len(listed_ids(page)) for page in pages] == [50, 50, 20]
    back = [client.get(unescape(NEWER_LINK.search(pages[2]).group(1))).get_data(as_text=True)]
    back.insert(0, client.get(unescape(NEWER_LINK.search(back[0]).group(1))).get_data(as_text=True))
    assert [listed_ids(page) for page in back] == [listed_ids(page) for page in pages[:2]]
    assert NEWER_LINK.search(back[0]) is None, "back on the newest page"
    assert [row for page in pages for row in listed_ids(page)] == expected_order(app, ids)


def test_list_runs_the_same_statements_for_few_or_many_customers(app, client, login_as):
    login_as("agent")
    seed(app, 5)
    client.get("/staff/customers/")  # warm up what a first request loads once
    with statements_run(app) as few:
        assert len(listed_ids(client.get("/staff/customers/").get_data(as_text=True))) == 5
    seed(app, 55, prefix="more")
    with statements_run(app) as many:
        assert len(listed_ids(client.get("/staff/customers/").get_data(as_text=True))) == 50
    assert len(many) == len(few), "\n".join(many)


def test_customer_page_shows_the_profile_panel(app, client, login_as, make_user):
    login_as("agent")
    person = make_user(
        "customer", name="Ada Lovelace", email="ada@example.com", timezone="Asia/Tehran", language="fa"
    )
    page = client.get(f"/staff/customers/{person.id}").get_data(as_text=True)
    profile = page.split('id="panel-profile"')[1].split("</section>")[0]
    assert '<h2 id="panel-profile-title">Profile</h2>' in profile
    assert '<dd dir="auto">Ada Lovelace</dd>' in profile, "the name keeps its own direction"
    for fact in ("ada@example.com", "فارسی", "Customer", "Never"):
        assert f"<dd>{fact}</dd>" in profile, fact
    assert "<dd>Iran Time <small><code>Asia/Tehran</code></small></dd>" in profile, "the zone in words"


def test_staff_accounts_have_a_page_and_unknown_ids_do_not(client, login_as, make_user):
    login_as("agent")
    colleague = make_user("admin", name="Ava Admin")
    page = client.get(f"/staff/customers/{colleague.id}").get_data(as_text=True)
    assert "<dd>Administrator</dd>" in page
    assert client.get("/staff/customers/999999").status_code == 404


@pytest.fixture(params=[True, False], ids=["plugin-on", "plugin-off"])
def plugin_on(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def example_switched(app_config: dict[str, object], plugin_on: bool) -> bool:
    """The example plugin on or off in ``PORTAL_PLUGINS``; list it before ``app`` in a test's arguments."""
    app_config["PORTAL_PLUGINS"] = ["example"] if plugin_on else []
    return plugin_on


def add_notes(app: Flask, user_id: int, *bodies: str) -> None:
    with app.app_context():
        db.session.add_all(Note(user_id=user_id, body=body) for body in bodies)
        db.session.commit()


def test_portal_customer_panels_notes_panel_only_while_enabled(
    example_switched, app, client: FlaskClient, login_as, make_user
):
    login_as("agent")
    person = make_user("customer")
    other = make_user("customer")
    add_notes(app, person.id, "Prefers email", "Asked about invoices")
    add_notes(app, other.id, "Someone else's note")
    page = client.get(f"/staff/customers/{person.id}").get_data(as_text=True)
    assert ('id="panel-example-notes"' in page) is example_switched
    assert 'id="panel-profile"' in page, "the core's panel is there either way"
    if example_switched:
        panel = page.split('id="panel-example-notes"')[1].split("</section>")[0]
        assert "2 notes kept." in panel
        assert "Asked about invoices" in panel and "Prefers email" in panel
        assert "Someone else" not in panel, "a panel shows this customer's data only"
        assert page.index('id="panel-profile"') < page.index('id="panel-example-notes"'), "sorted by order"


def test_360_page_shows_the_organization_and_a_paged_activity_timeline(app, client, login_as, make_user):
    from portal.events import StoredEvent
    from portal.organizations.membership import add_member, create_organization
    from portal.staff.core_panels import TIMELINE_PAGE_SIZE

    person = make_user(name="Sara Ahmadi")
    someone_else = make_user()
    with app.app_context():
        organization = create_organization("Parsian Trading", "company", actor_id=None)
        add_member(organization, db.session.get(User, person.id), "manager", actor_id=None, via="staff")
        # Stored as the outbox keeps them: the timeline reads what is stored, whoever emitted it.
        for number in range(TIMELINE_PAGE_SIZE + 2):
            db.session.add(StoredEvent(name=f"example.step_{number:02d}", payload={}, customer_id=person.id))
        db.session.add(StoredEvent(name="example.someone_else", payload={}, customer_id=someone_else.id))
        db.session.commit()
    login_as("agent")
    page = unescape(client.get(f"/staff/customers/{person.id}").get_data(as_text=True))
    assert "Parsian Trading" in page and "Manager: sees and acts for the members" in page
    assert "example.step_21" in page and "example.step_02" in page
    assert "example.step_01" not in page and "example.someone_else" not in page
    older = re.search(r'href="([^"]*timeline_before=\d+)[^"]*"', page).group(1)
    second = client.get(older).get_data(as_text=True)
    assert "example.step_01" in second and "example.step_00" in second
    assert "example.step_02" not in second


def test_360_page_says_when_there_is_no_organization_or_activity(client, login_as, make_user):
    person = make_user()
    login_as("agent")
    page = client.get(f"/staff/customers/{person.id}").get_data(as_text=True)
    assert "Not part of an organization or household." in page
    assert "Nothing recorded yet." in page
