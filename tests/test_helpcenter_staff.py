"""The help center's staff side: writing, publishing and restoring articles, categories, limits, the tile."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from plugins.helpcenter import contributions, service, staff_views
from plugins.helpcenter.models import TITLE_MAX, Article, ArticleVersion, Category
from portal.audit import AuditEvent
from portal.organizations.models import Membership, Organization
from portal.plugin import User, db, set_setting
from portal.testing import TEST_PASSWORD, log_in, post_form

pytestmark = pytest.mark.plugins("helpcenter", "tickets")

NEW = "/staff/help/new"


def signed_in(app, user):
    other = app.test_client()
    log_in(other, user.email, TEST_PASSWORD)
    return other


@pytest.fixture
def agent(app, make_user):
    person = make_user("agent")
    return person, signed_in(app, person)


def write(staff_client, url=NEW, *, follow_redirects=False, **fields):
    data = {
        "title": "How do I reset my password?",
        "body": "Choose **Forgot your password?**",
        "audience": "everyone",
    }
    return post_form(staff_client, url, data | fields, follow_redirects=follow_redirects)


def article_id_from(response) -> int:
    match = re.search(r"/staff/help/articles/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def article_row(app, article_id):
    with app.app_context():
        article = db.session.get(Article, article_id)
        db.session.expunge(article)
        return article


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def add_article(app, author_id, title, *, status="published", audience="everyone", views=0, category_id=None):
    with app.app_context():
        author = db.session.get(User, author_id)
        article = service.save_article(
            None,
            title=title,
            body=f"All about {title}.",
            translations=None,
            category_id=category_id,
            audience=audience,
            author=author,
        )
        if status != "draft":
            service.set_status(article, status, author)
        article.views = views
        db.session.commit()
        return article.id


def test_agents_write_publish_archive_and_restore_and_every_save_is_a_version(app, make_user, agent):
    _, staff = agent
    customer = signed_in(app, make_user("customer"))
    created = write(staff, title_fa="چطور رمز عبورم را بازنشانی کنم؟", note="First answer")
    assert created.status_code == 303
    article_id = article_id_from(created)
    page = staff.get(f"/staff/help/articles/{article_id}").get_data(as_text=True)
    assert "Saved as a draft" in page and "Draft" in page
    assert f'href="/help/articles/{article_id}"' in page, "staff can open the public page"
    assert customer.get(f"/help/articles/{article_id}").status_code == 404, "a draft is for staff only"

    changed = write(
        staff, f"/staff/help/articles/{article_id}", body="Open the sign-in page first.", note="Simpler"
    )
    assert changed.status_code == 303
    assert article_row(app, article_id).version == 2

    published = post_form(staff, f"/staff/help/articles/{article_id}/status", {"status": "published"})
    assert published.status_code == 303
    assert "Published: its readers can find it now." in staff.get(published.headers["Location"]).get_data(
        as_text=True
    )
    assert "Open the sign-in page first." in customer.get(f"/help/articles/{article_id}").get_data(
        as_text=True
    )

    post_form(staff, f"/staff/help/articles/{article_id}/status", {"status": "archived"})
    assert article_row(app, article_id).status == "archived"
    assert customer.get(f"/help/articles/{article_id}").status_code == 404
    post_form(staff, f"/staff/help/articles/{article_id}/status", {"status": "draft"})
    assert article_row(app, article_id).status == "draft"
    again = post_form(
        staff, f"/staff/help/articles/{article_id}/status", {"status": "draft"}, follow_redirects=True
    )
    assert "already had that status" in again.get_data(as_text=True)
    odd = post_form(
        staff, f"/staff/help/articles/{article_id}/status", {"status": "deleted"}, follow_redirects=True
    )
    assert "please try again" in odd.get_data(as_text=True)
    assert article_row(app, article_id).status == "draft"

    history = staff.get(f"/staff/help/articles/{article_id}/versions").get_data(as_text=True)
    assert "First answer" in history and "Simpler" in history
    assert "Open the sign-in page first." not in history, "the list names versions; each has its own page"
    first = staff.get(f"/staff/help/articles/{article_id}/versions/1").get_data(as_text=True)
    assert "Forgot your password?" in first and "چطور رمز عبورم را بازنشانی کنم؟" in first

    restored = post_form(staff, f"/staff/help/articles/{article_id}/versions/1/restore", {})
    assert restored.status_code == 303
    article = article_row(app, article_id)
    assert (article.version, article.body) == (3, "Choose **Forgot your password?**")
    assert article.translations == {"fa": {"title": "چطور رمز عبورم را بازنشانی کنم؟"}}
    assert count(app, ArticleVersion) == 3, "restoring adds a version; none is rewritten"
    assert "Restored version 1" in staff.get(f"/staff/help/articles/{article_id}/versions").get_data(
        as_text=True
    )


def test_saving_nothing_new_keeps_the_version_and_preview_saves_nothing(app, agent):
    _, staff = agent
    article_id = article_id_from(write(staff))
    same = write(staff, f"/staff/help/articles/{article_id}", follow_redirects=True)
    assert "Nothing changed" in same.get_data(as_text=True)
    assert article_row(app, article_id).version == 1
    preview = write(staff, f"/staff/help/articles/{article_id}", body="## Steps\n\nA *new* text", preview="1")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "not saved yet" in page and "<em>new</em>" in page
    assert article_row(app, article_id).body == "Choose **Forgot your password?**"


def test_a_save_over_someone_elses_newer_version_is_refused_and_kept(app, make_user, agent):
    _, staff = agent
    colleague = signed_in(app, make_user("agent"))
    article_id = article_id_from(write(staff))
    url = f"/staff/help/articles/{article_id}"
    assert write(colleague, url, body="The colleague's text", based_on="1").status_code == 303
    late = write(staff, url, body="My own text", based_on="1")
    page = late.get_data(as_text=True)
    assert late.status_code == 422
    assert "Someone else saved a newer version while you were writing." in page
    assert "My own text" in page and 'name="based_on" type="hidden" value="2"' in page
    assert article_row(app, article_id).body == "The colleague's text"
    assert write(staff, url, body="My own text", based_on="2").status_code == 303, (
        "saving again, having seen it"
    )
    assert article_row(app, article_id).version == 3


def test_refused_input_keeps_what_was_typed_and_changes_nothing(app, agent):
    _, staff = agent
    long_title = "T" * (TITLE_MAX + 1)
    refused = write(staff, title=long_title, body="My carefully written answer")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert f"Keep the title to {TITLE_MAX} characters or fewer." in page
    assert long_title in page and "My carefully written answer" in page
    empty = write(staff, title="  ", body="")
    assert "Give the article a title." in empty.get_data(as_text=True)
    assert "Write the article." in empty.get_data(as_text=True)
    nowhere = write(staff, audience="loyalty.tier:gold", category="12345")
    text = nowhere.get_data(as_text=True)
    assert nowhere.status_code == 422
    assert "Choose who may read it from the list." in text
    assert "That category no longer exists; choose another." in text
    long_note = write(staff, note="n" * 201)
    assert "Keep the note to 200 characters or fewer." in long_note.get_data(as_text=True)
    assert count(app, Article) == 0


def test_audiences_are_everyone_customers_and_every_segment(app, make_user, agent):
    _, staff = agent
    alice, bob = make_user("customer"), make_user("customer")
    with app.app_context():
        organization = Organization(name="Parsian Trading", kind="company")
        db.session.add(organization)
        db.session.flush()
        db.session.add(Membership(user_id=alice.id, organization_id=organization.id, role="member"))
        db.session.commit()
        key = f"organization:{organization.id}"
    form = staff.get(NEW).get_data(as_text=True)
    assert (
        "Everyone" in form
        and "Signed-in customers" in form
        and "Organization: \u2068Parsian Trading\u2069" in form
    )
    article_id = article_id_from(write(staff, title="Company prices", audience=key))
    post_form(staff, f"/staff/help/articles/{article_id}/status", {"status": "published"})
    assert signed_in(app, alice).get(f"/help/articles/{article_id}").status_code == 200
    assert signed_in(app, bob).get(f"/help/articles/{article_id}").status_code == 404
    listing = staff.get("/staff/help/").get_data(as_text=True)
    assert "Organization: \u2068Parsian Trading\u2069" in listing

    with app.app_context():
        db.session.execute(
            Article.__table__.update().where(Article.id == article_id).values(audience="loyalty.tier:gold")
        )
        db.session.commit()
    gone = staff.get(f"/staff/help/articles/{article_id}").get_data(as_text=True)
    assert "Staff only: the group loyalty.tier:gold no longer exists" in gone
    kept = write(
        staff, f"/staff/help/articles/{article_id}", title="Company prices 2027", audience="loyalty.tier:gold"
    )
    assert kept.status_code == 303, "an audience that is gone may be kept while editing"


def test_customers_and_visitors_cannot_reach_the_staff_pages(app, client, make_user, agent):
    author, _ = agent
    article_id = add_article(app, author.id, "Returns")
    customer = signed_in(app, make_user("customer"))
    for url in ("/staff/help/", NEW, f"/staff/help/articles/{article_id}", "/staff/help/categories"):
        assert customer.get(url).status_code == 403, url
        assert client.get(url).status_code == 302, url
    assert (
        post_form(customer, f"/staff/help/articles/{article_id}/status", {"status": "archived"}).status_code
        == 403
    )
    assert post_form(customer, f"/staff/help/articles/{article_id}/versions/1/restore", {}).status_code == 403
    assert article_row(app, article_id).status == "published"


def test_unknown_ids_answer_404(agent, app):
    author, staff = agent
    article_id = add_article(app, author.id, "Returns")
    for url in (
        "/staff/help/articles/999",
        "/staff/help/articles/99999999999",
        f"/staff/help/articles/{article_id}/versions/7",
        "/staff/help/articles/999/versions",
    ):
        assert staff.get(url).status_code == 404, url
    assert post_form(staff, "/staff/help/articles/999/status", {"status": "published"}).status_code == 404
    assert post_form(staff, f"/staff/help/articles/{article_id}/versions/9/restore", {}).status_code == 404


def test_a_post_without_the_csrf_token_changes_nothing(app, agent):
    author, staff = agent
    article_id = add_article(app, author.id, "Returns")
    staff.post(f"/staff/help/articles/{article_id}/status", data={"status": "archived"})
    staff.post(NEW, data={"title": "Sneaky", "body": "x", "audience": "everyone"})
    assert article_row(app, article_id).status == "published"
    assert count(app, Article) == 1


def test_the_list_filters_by_status_and_category_searches_and_pages(app, agent, monkeypatch):
    author, staff = agent
    with app.app_context():
        shelf = Category(name="Billing", translations={"fa": {"name": "صورت‌حساب"}})
        db.session.add(shelf)
        db.session.commit()
        shelf_id = shelf.id
    add_article(app, author.id, "Paying by card", category_id=shelf_id)
    add_article(app, author.id, "Refund times", status="draft", category_id=shelf_id)
    add_article(app, author.id, "Old shipping rates", status="archived")
    everything = staff.get("/staff/help/").get_data(as_text=True)
    assert all(title in everything for title in ("Paying by card", "Refund times", "Old shipping rates"))
    assert "Persian missing" in everything
    drafts = staff.get("/staff/help/?status=draft").get_data(as_text=True)
    assert "Refund times" in drafts and "Paying by card" not in drafts
    billing = staff.get(f"/staff/help/?category={shelf_id}").get_data(as_text=True)
    assert "Paying by card" in billing and "Old shipping rates" not in billing
    loose = staff.get("/staff/help/?category=none").get_data(as_text=True)
    assert "Old shipping rates" in loose and "Paying by card" not in loose
    found = staff.get("/staff/help/?q=refund").get_data(as_text=True)
    assert "Refund times" in found and "Paying by card" not in found
    assert "No article matches." in staff.get("/staff/help/?q=zebra").get_data(as_text=True)
    too_long = staff.get("/staff/help/?q=" + "x" * 201)
    assert too_long.status_code == 200 and "Search for at most 200 characters." in too_long.get_data(
        as_text=True
    )
    assert staff.get("/staff/help/?category=abc&status=nonsense&cursor=%%%").status_code == 200

    monkeypatch.setattr(staff_views, "PAGE_SIZE", 2)
    first = staff.get("/staff/help/").get_data(as_text=True)
    next_link = re.search(r'href="(/staff/help/\?cursor=[^"]+)" rel="next"', first)
    assert next_link, "a third article means a second page"
    second = staff.get(next_link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Paying by card" in second and "Paying by card" not in first


def test_agents_read_the_categories_and_only_administrators_change_them(app, make_user, agent):
    _, staff = agent
    with app.app_context():
        db.session.add(Category(name="Billing", position=1))
        db.session.commit()
        shelf_id = db.session.scalar(select(Category.id))
    page = staff.get("/staff/help/categories")
    assert page.status_code == 200 and "Billing" in page.get_data(as_text=True)
    assert "Add a category" not in page.get_data(as_text=True)
    assert post_form(staff, "/staff/help/categories", {"name": "Sneaky", "position": "1"}).status_code == 403
    assert staff.get(f"/staff/help/categories/{shelf_id}").status_code == 403
    assert post_form(staff, f"/staff/help/categories/{shelf_id}/delete", {}).status_code == 403
    assert count(app, Category) == 1


def test_category_names_are_unique_and_a_category_in_use_is_not_deleted(app, make_user):
    administrator = make_user("admin")
    staff = signed_in(app, administrator)
    added = post_form(
        staff, "/staff/help/categories", {"name": "Billing", "name_fa": "صورت‌حساب", "position": "2"}
    )
    assert added.status_code == 303
    twin = post_form(staff, "/staff/help/categories", {"name": " billing ", "position": "3"})
    assert twin.status_code == 422
    assert "A category of this name exists already." in twin.get_data(as_text=True)
    assert 'value=" billing "' in twin.get_data(as_text=True), "what was typed is kept"
    far = post_form(staff, "/staff/help/categories", {"name": "Delivery", "position": "5000"})
    assert "Use a number from 0 to 999." in far.get_data(as_text=True)
    post_form(staff, "/staff/help/categories", {"name": "Delivery", "position": "۱"})
    with app.app_context():
        shelves = {shelf.name: shelf for shelf in db.session.scalars(select(Category))}
        assert shelves["Billing"].translations == {"fa": {"name": "صورت‌حساب"}}
        assert shelves["Delivery"].position == 1
        billing, delivery = shelves["Billing"].id, shelves["Delivery"].id
    listing = staff.get("/staff/help/categories").get_data(as_text=True)
    assert listing.index("Delivery") < listing.index("Billing"), "ordered by position"

    renamed = post_form(staff, f"/staff/help/categories/{delivery}", {"name": "BILLING", "position": "1"})
    assert renamed.status_code == 422 and "exists already" in renamed.get_data(as_text=True)
    post_form(staff, f"/staff/help/categories/{delivery}", {"name": "Orders and delivery", "position": "0"})
    add_article(app, administrator.id, "Paying by card", category_id=billing)
    refused = post_form(staff, f"/staff/help/categories/{billing}/delete", {}, follow_redirects=True)
    assert "still holds articles" in refused.get_data(as_text=True)
    deleted = post_form(staff, f"/staff/help/categories/{delivery}/delete", {}, follow_redirects=True)
    assert "Category deleted." in deleted.get_data(as_text=True)
    with app.app_context():
        assert list(db.session.scalars(select(Category.name))) == ["Billing"]
    assert staff.get("/staff/help/categories/999").status_code == 404


def test_the_tile_shows_the_most_read_articles_the_customer_may_read(app, make_user, agent):
    author, _ = agent
    alice = make_user("customer")
    with app.app_context():
        mine = Organization(name="Mine", kind="company")
        theirs = Organization(name="Theirs", kind="company")
        db.session.add_all([mine, theirs])
        db.session.flush()
        db.session.add(Membership(user_id=alice.id, organization_id=mine.id, role="member"))
        db.session.commit()
        mine_key, theirs_key = f"organization:{mine.id}", f"organization:{theirs.id}"
    add_article(app, author.id, "Read by all", views=5)
    add_article(app, author.id, "For customers", audience="all-customers", views=3)
    add_article(app, author.id, "Still a draft", status="draft", views=50)
    add_article(app, author.id, "For another company", audience=theirs_key, views=40)
    add_article(app, author.id, "For my company", audience=mine_key, views=1)
    add_article(app, author.id, "Archived answer", status="archived", views=30)
    tile = signed_in(app, alice).get("/help/widget", headers={"HX-Request": "true"}).get_data(as_text=True)
    titles = re.findall(r"<bdi>([^<]+)</bdi></a>", tile)
    assert titles == ["Read by all", "For customers", "For my company"]


def test_links_and_tile_go_to_whoever_may_read(app, make_user):
    customer, agent_user = make_user("customer"), make_user("agent")
    with app.test_request_context():
        person, staff_member = db.session.get(User, customer.id), db.session.get(User, agent_user.id)
        assert [item.endpoint for item in contributions.customer_links(person)] == ["helpcenter.index"]
        assert [item.endpoint for item in contributions.customer_links(None)] == ["helpcenter.index"]
        assert contributions.customer_links(staff_member) == []
        assert [item.endpoint for item in contributions.staff_links(staff_member)] == [
            "helpcenter_staff.index"
        ]
        assert [widget.endpoint for widget in contributions.dashboard_widgets(person)] == [
            "helpcenter.widget"
        ]
        assert contributions.dashboard_widgets(staff_member) == []
        set_setting("helpcenter", "public", False, actor_id=None)
        db.session.commit()
        assert contributions.customer_links(None) == []


def test_staff_pages_read_in_persian(app, make_user):
    persian_agent = make_user("agent", language="fa")
    staff = signed_in(app, persian_agent)
    article_id = add_article(app, persian_agent.id, "Returns")
    listing = staff.get("/staff/help/").get_data(as_text=True)
    assert ">۱</td>" in listing, "the version number in Persian digits"
    edit = staff.get(f"/staff/help/articles/{article_id}").get_data(as_text=True)
    assert 'lang="fa"' in edit


def test_the_markdown_hint_shows_the_syntax_as_code_in_every_language(app, agent):
    person, client = agent
    page = client.get(NEW).get_data(as_text=True)
    assert "<code>##</code> for a heading" in page
    assert "<code>[words](https://link)</code>" in page
    with app.app_context():
        db.session.execute(db.update(User).where(User.id == person.id).values(language="fa"))
        db.session.commit()
    persian = client.get(NEW).get_data(as_text=True)
    assert "<code>1.</code> برای گام‌ها" in persian
    assert "<code>**پررنگ**</code>" in persian


def test_the_audit_log_says_who_wrote_published_and_archived_each_article(app, agent):
    person, staff = agent
    article_id = article_id_from(write(staff))
    write(staff, f"/staff/help/articles/{article_id}", body="Open the sign-in page first.")
    post_form(staff, f"/staff/help/articles/{article_id}/status", {"status": "published"})
    post_form(staff, f"/staff/help/articles/{article_id}/status", {"status": "published"})
    post_form(staff, f"/staff/help/articles/{article_id}/status", {"status": "archived"})
    with app.app_context():
        logged = db.session.execute(
            select(AuditEvent.kind, AuditEvent.actor_id, AuditEvent.detail)
            .where(AuditEvent.kind.like("helpcenter.%"))
            .order_by(AuditEvent.id)
        ).all()
    assert [(kind, actor, detail["article_id"]) for kind, actor, detail in logged] == [
        ("helpcenter.article_saved", person.id, article_id),
        ("helpcenter.article_saved", person.id, article_id),
        ("helpcenter.article_status_changed", person.id, article_id),
        ("helpcenter.article_status_changed", person.id, article_id),
    ], "each save and each real change of status, not the repeated click"
    assert [detail.get("version") for _, _, detail in logged[:2]] == [1, 2]
    assert [detail.get("status") for _, _, detail in logged[2:]] == ["published", "archived"]
