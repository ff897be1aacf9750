"""The documents plugin: publishing, who sees what, downloads, versions, templates and their limits."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from plugins.documents.models import Document, DocumentTemplate, Version
from portal.audit import AuditEvent
from portal.database import db, utcnow
from portal.events import StoredEvent
from portal.organizations.models import Membership, Organization
from portal.settings import set_setting
from portal.testing import TEST_PASSWORD, log_in, post_form, read_outbox, statements_run, text_of

pytestmark = pytest.mark.plugins("documents")

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + b"x" * 2000


def fresh_client(app, user):
    other = app.test_client()
    log_in(other, user.email, TEST_PASSWORD)
    return other


def publish(staff_client, *, title="Invoice 7", content=PDF, name="invoice.pdf", **fields):
    data = {
        "title": title,
        "description": fields.pop("description", "November invoice"),
        "category": fields.pop("category", "invoice"),
        "audience": fields.pop("audience", "customer"),
        "customer_email": fields.pop("customer_email", ""),
        "segment": fields.pop("segment", "all-customers"),
        "template": fields.pop("template", ""),
        "publish_now": "y",
        "file": (io.BytesIO(content), name),
        **fields,
    }
    return post_form(staff_client, "/staff/documents/new", data, content_type="multipart/form-data")


def document_ids(app):
    with app.app_context():
        return list(db.session.scalars(select(Document.id).order_by(Document.id)))


@pytest.fixture
def staff(app, make_user):
    user = make_user("agent")
    return user, fresh_client(app, user)


def test_published_to_one_customer_only_they_see_and_download_it(app, client, make_user, staff):
    sara, omid = make_user("customer", name="Sara"), make_user("customer", name="Omid")
    _, staff_client = staff
    response = publish(staff_client, customer_email=sara.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    [document_id] = document_ids(app)

    log_in(client, sara.email, TEST_PASSWORD)
    listing = client.get("/documents/").get_data(as_text=True)
    assert "Invoice 7" in listing and "New" in listing
    download = client.get(f"/documents/{document_id}/download")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Length"] == str(len(PDF))
    assert "attachment" in download.headers["Content-Disposition"]
    assert "invoice.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "documents-unread" not in client.get("/documents/").get_data(as_text=True)

    stranger = fresh_client(app, omid)
    assert "Invoice 7" not in stranger.get("/documents/").get_data(as_text=True)
    for url in (
        f"/documents/{document_id}",
        f"/documents/{document_id}/download",
        f"/documents/{document_id + 1}",
        f"/documents/{document_id + 1}/download",
        "/documents/99999999999",
    ):
        assert stranger.get(url).status_code == 404, url

    with app.app_context():
        events = {e.name: e for e in db.session.scalars(select(StoredEvent))}
    assert events["documents.published"].payload["audience"] == f"customer:{sara.id}"
    assert events["documents.published"].customer_id == sara.id
    assert events["documents.downloaded"].payload == {
        "document_id": document_id,
        "version_id": events["documents.published"].payload["version_id"],
        "customer_id": sara.id,
    }
    assert events["documents.downloaded"].customer_id == sara.id

    page = staff_client.get(f"/staff/documents/{document_id}").get_data(as_text=True)
    assert "Sara" in page and sara.email in page, "the download log names who downloaded it"
    assert "Invoice 7" in staff_client.get(f"/staff/customers/{sara.id}").get_data(as_text=True)


def test_downloads_resume_revalidate_and_keep_non_ascii_names(app, client, make_user, staff):
    sara = make_user("customer")
    _, staff_client = staff
    publish(staff_client, customer_email=sara.email, name='گزارش "مالی"\tX-Evil: 1.pdf')
    [document_id] = document_ids(app)
    log_in(client, sara.email, TEST_PASSWORD)
    whole = client.get(f"/documents/{document_id}/download")
    disposition = whole.headers["Content-Disposition"]
    assert "\n" not in disposition and "X-Evil" not in whole.headers
    assert "filename*=UTF-8''" in disposition and "%DA%AF" in disposition  # گ kept, percent-encoded
    part = client.get(f"/documents/{document_id}/download", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.data == PDF[10:20]
    again = client.get(f"/documents/{document_id}/download", headers={"If-None-Match": whole.headers["ETag"]})
    assert again.status_code == 304


WELCOME = "خوش\u200cآمد"  # "welcome": the zero-width non-joiner keeps خوش and آمد apart, as Persian writes it


def download_names(response) -> tuple[str, str]:
    """The exact name (``filename*``) and the ASCII fallback (``filename``) a browser reads back."""
    disposition = response.headers["Content-Disposition"]
    exact = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    fallback = re.search(r'filename="([^"]*)"', disposition)
    assert exact and fallback, disposition
    return unquote(exact.group(1)), fallback.group(1)


def test_an_uploaded_persian_name_keeps_its_zero_width_non_joiner(app, client, make_user, staff):
    sara = make_user("customer")
    _, staff_client = staff
    publish(staff_client, customer_email=sara.email, name=f"{WELCOME}\u202e/..\\x.pdf")
    [document_id] = document_ids(app)
    log_in(client, sara.email, TEST_PASSWORD)
    exact, fallback = download_names(client.get(f"/documents/{document_id}/download"))
    assert exact.startswith(WELCOME), exact
    assert "/" not in exact and "\\" not in exact and "\u202e" not in exact, exact
    assert exact.endswith(".pdf") and fallback.endswith(".pdf") and fallback.isascii()


def test_a_persian_template_document_keeps_its_zero_width_non_joiner(app, client, make_user, staff):
    sara = make_user("customer", language="fa")
    with app.app_context():
        template = DocumentTemplate(name="Welcome", body=TEMPLATE)
        db.session.add(template)
        db.session.commit()
        template_id = template.id
    _, staff_client = staff
    title = f"نامه {WELCOME}/پاییز"
    publish(
        staff_client, title=title, customer_email=sara.email, template=str(template_id), content=b"", name=""
    )
    [document_id] = document_ids(app)
    log_in(client, sara.email, TEST_PASSWORD)
    response = client.get(f"/documents/{document_id}/download")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    exact, fallback = download_names(response)
    assert WELCOME in exact and "/" not in exact and exact.endswith(".pdf"), exact
    assert fallback.isascii() and fallback.endswith(".pdf"), fallback


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "page.pdf"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "logo.png"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "tool.txt"),
        (b"PK\x03\x04not really a zip", "sheet.xlsx"),
    ],
)
def test_uploads_are_judged_by_their_content(app, make_user, staff, content, name):
    sara = make_user("customer")
    _, staff_client = staff
    response = publish(staff_client, customer_email=sara.email, content=content, name=name)
    assert response.status_code == 422
    assert "This kind of file cannot be published" in response.get_data(as_text=True)
    assert document_ids(app) == []


def test_office_text_and_images_are_accepted_with_their_real_type(app, make_user, staff):
    sara = make_user("customer")
    _, staff_client = staff
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    cases = [
        (docx.getvalue(), "contract.docx", "wordprocessingml"),
        ("سلام، این یک متن است.\n".encode(), "note.pdf", "text/plain"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "scan.png", "image/png"),
    ]
    for content, name, _kind in cases:
        assert publish(staff_client, customer_email=sara.email, content=content, name=name).status_code == 302
    with app.app_context():
        types = list(db.session.scalars(select(Version.mimetype).order_by(Version.id)))
    assert [kind in found for (_c, _n, kind), found in zip(cases, types, strict=True)] == [True] * 3


def test_upload_limit_comes_from_the_settings(app, make_user, staff):
    sara = make_user("customer")
    agent_user, staff_client = staff
    with app.app_context():
        set_setting("documents", "max_upload_mb", 1, agent_user.id)
        db.session.commit()
    big = PDF + b"0" * (1024 * 1024)
    response = publish(staff_client, customer_email=sara.email, content=big)
    assert response.status_code == 422
    assert "larger than the limit" in response.get_data(as_text=True)
    assert document_ids(app) == []


def test_customers_get_the_newest_version_and_never_an_older_one(app, client, make_user, staff):
    sara = make_user("customer")
    _, staff_client = staff
    publish(staff_client, customer_email=sara.email)
    [document_id] = document_ids(app)
    newer = PDF + b"version two"
    response = post_form(
        staff_client,
        f"/staff/documents/{document_id}/versions",
        {"file": (io.BytesIO(newer), "invoice-v2.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        old_id, new_id = db.session.scalars(select(Version.id).order_by(Version.id))
    log_in(client, sara.email, TEST_PASSWORD)
    assert client.get(f"/documents/{document_id}/download").data == newer
    assert client.get(f"/documents/{document_id}/versions/{new_id}/download").data == newer
    assert client.get(f"/documents/{document_id}/versions/{old_id}/download").status_code == 404
    assert staff_client.get(f"/staff/documents/{document_id}/versions/{old_id}/download").data == PDF
    page = staff_client.get(f"/staff/documents/{document_id}").get_data(as_text=True)
    assert "invoice.pdf" in page and "invoice-v2.pdf" in page


def test_unpublished_and_expired_documents_disappear(app, client, make_user, staff):
    sara = make_user("customer")
    _, staff_client = staff
    publish(staff_client, customer_email=sara.email, title="Old contract")
    publish(staff_client, customer_email=sara.email, title="Dated manual")
    first, second = document_ids(app)
    log_in(client, sara.email, TEST_PASSWORD)
    assert post_form(staff_client, f"/staff/documents/{first}/unpublish", {}).status_code == 302
    with app.app_context():
        db.session.get(Document, second).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    listing = client.get("/documents/").get_data(as_text=True)
    assert "Old contract" not in listing and "Dated manual" not in listing
    assert client.get(f"/documents/{first}/download").status_code == 404
    assert client.get(f"/documents/{second}/download").status_code == 404
    post_form(staff_client, f"/staff/documents/{first}/publish", {})
    assert client.get(f"/documents/{first}/download").status_code == 200
    with app.app_context():
        logged = db.session.execute(
            select(AuditEvent.kind, AuditEvent.detail["document_id"].as_integer())
            .where(AuditEvent.kind.like("documents.%"))
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(row) for row in logged] == [
        ("documents.published", first),
        ("documents.published", second),
        ("documents.unpublished", first),
        ("documents.published", first),
    ], "the audit log says who published and hid what, in order"


def test_the_publish_form_makes_staff_choose_who_gets_it_and_the_category(app, make_user, staff):
    make_user("customer", email="bystander@example.com")
    _, staff_client = staff
    form = staff_client.get("/staff/documents/new").get_data(as_text=True)
    audience = re.findall(r'<input[^>]*name="audience"[^>]*>', form)
    assert len(audience) == 2 and not any("checked" in each for each in audience), "nobody is chosen for them"
    assert re.search(r'<select[^>]*name="segment"[^>]*>\s*<option value="">Choose who gets it</option>', form)
    assert re.search(r'<select[^>]*name="category"[^>]*>\s*<option value="">Choose a category</option>', form)

    typed = {"title": "Price list 2027", "description": "Our new prices, effective January."}
    refused = publish(staff_client, audience="", category="", segment="", **typed)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Choose who gets it: one customer, or a group." in page
    assert "Choose a category." in page
    assert "Price list 2027" in page and "Our new prices, effective January." in page, "the text is kept"
    group_unchosen = publish(staff_client, audience="segment", segment="", **typed)
    assert group_unchosen.status_code == 422
    assert "Choose a group from the list." in group_unchosen.get_data(as_text=True)
    assert document_ids(app) == [], "a refused form publishes nothing"


def test_demo_documents_reach_the_demo_customers_only(app, make_user):
    from plugins.documents.customer_data import DEMO_DOCUMENTS_FA, DEMO_LETTER_FA
    from portal.demo import DEMO_PASSWORD, load_demo_data

    with app.test_request_context():
        load_demo_data()
        load_demo_data()
        db.session.commit()
    newcomer = make_user("customer", email="newcomer@example.com")
    newcomer_page = fresh_client(app, newcomer).get("/documents/").get_data(as_text=True)
    for title in ("Invoice 2026-001", "Service contract", "User manual", "Welcome letter"):
        assert title not in newcomer_page
    sara = app.test_client()
    log_in(sara, "sara@example.com", DEMO_PASSWORD)
    sara_page = sara.get("/documents/").get_data(as_text=True)
    # Sara reads Persian: the demo documents have Persian titles.
    invoice_fa = DEMO_DOCUMENTS_FA["invoice"][0]
    assert sara_page.count(invoice_fa) == 1 and DEMO_LETTER_FA[0] in sara_page
    assert "Invoice 2026-001" not in sara_page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DocumentTemplate)) == 1


def test_audiences_are_the_cores_segments(app, make_user, staff):
    alice, bob, carol = (make_user("customer", name=n) for n in ("Alice", "Bob", "Carol"))
    with app.app_context():
        organization = Organization(name="Parsian Trading", kind="company")
        db.session.add(organization)
        db.session.flush()
        db.session.add(Membership(user_id=alice.id, organization_id=organization.id, role="member"))
        db.session.commit()
        organization_id = organization.id
    _, staff_client = staff
    publish(
        staff_client, audience="segment", segment=f"organization:{organization_id}", title="Org statement"
    )
    publish(staff_client, audience="segment", segment="all-customers", title="Manual for all")
    with app.app_context():
        db.session.add(
            Document(title="Gold offer", category="manual", audience_key="loyalty.tier:gold", published=True)
        )
        db.session.commit()
    seen = {
        person.name: fresh_client(app, person).get("/documents/").get_data(as_text=True)
        for person in (alice, bob, carol)
    }
    assert "Org statement" in seen["Alice"] and "Org statement" not in seen["Bob"]
    assert all("Manual for all" in page for page in seen.values())
    assert not any("Gold offer" in page for page in seen.values()), "an unresolved segment reaches nobody"


def test_the_list_filters_searches_and_pages(app, client, make_user, staff):
    sara = make_user("customer")
    with app.app_context():
        for number in range(25):
            db.session.add(
                Document(
                    title=f"Statement {number:02d}" if number % 2 else f"Manual 100% {number:02d}",
                    category="statement" if number % 2 else "manual",
                    audience_customer_id=sara.id,
                    published=True,
                    published_at=utcnow(),
                    template_id=None,
                )
            )
            db.session.flush()
        db.session.commit()
        # Give each a file so it is listed.
        for document in db.session.scalars(select(Document)):
            db.session.add(
                Version(
                    document_id=document.id,
                    number=1,
                    storage_key=f"documents/none/{document.id}.pdf",
                    filename="x.pdf",
                    mimetype="application/pdf",
                    size=1,
                    sha256="0" * 64,
                )
            )
        db.session.commit()
    log_in(client, sara.email, TEST_PASSWORD)
    first = client.get("/documents/").get_data(as_text=True)
    assert "Statement 23" in first and "Manual 100% 24" in first and "Manual 100% 04" not in first
    assert "Older documents" in first
    statements = client.get("/documents/?category=statement").get_data(as_text=True)
    assert "Manual" not in statements.split(LIST, 1)[-1] and "Statement 01" in statements
    assert "Statement" not in client.get("/documents/?q=100%25").get_data(as_text=True).split(LIST)[-1]
    fragment = client.get("/documents/?q=statement+0", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Statement 01" in fragment


def test_the_list_runs_a_fixed_number_of_queries(app, client, make_user):
    sara = make_user("customer")

    def add(start, count):
        with app.app_context():
            for number in range(start, start + count):
                document = Document(
                    title=f"D{number}",
                    category="invoice",
                    audience_key="all-customers" if number % 2 else None,
                    audience_customer_id=None if number % 2 else sara.id,
                    published=True,
                    published_at=utcnow(),
                )
                db.session.add(document)
                db.session.flush()
                db.session.add(
                    Version(
                        document_id=document.id,
                        number=1,
                        storage_key=f"documents/x/{document.id}",
                        filename="a.pdf",
                        mimetype="application/pdf",
                        size=3,
                        sha256="0" * 64,
                    )
                )
            db.session.commit()

    log_in(client, sara.email, TEST_PASSWORD)
    add(0, 2)
    client.get("/documents/")
    with statements_run(app) as few:
        assert client.get("/documents/").status_code == 200
    add(2, 40)
    with statements_run(app) as many:
        page = client.get("/documents/").get_data(as_text=True)
    assert "D41" in page
    assert len(many) == len(few)


def test_every_write_checks_the_role(app, client, make_user):
    sara = make_user("customer")
    log_in(client, sara.email, TEST_PASSWORD)
    assert client.get("/staff/documents/").status_code == 403
    response = publish(client, customer_email=sara.email)
    assert response.status_code == 403
    assert post_form(client, "/staff/documents/1/publish", {}).status_code == 403
    assert post_form(client, "/staff/documents/1/unpublish", {}).status_code == 403
    assert document_ids(app) == []
    agent_client = fresh_client(app, make_user("agent"))
    assert agent_client.get("/staff/documents/templates").status_code == 403
    assert (
        post_form(agent_client, "/staff/documents/templates/new", {"name": "x", "body": "y"}).status_code
        == 403
    )


@pytest.fixture
def server_name(app_config):
    """Notifications are sent by a background job, outside any request: mail links need the address."""
    app_config["PORTAL_BASE_URL"] = "http://localhost"


def test_publishing_notifies_the_audience_with_a_signed_link(server_name, app, client, make_user, staff):
    sara, omid = make_user("customer", name="Sara"), make_user("customer", name="Omid")
    _, staff_client = staff
    publish(staff_client, customer_email=sara.email, title="Your contract")
    [document_id] = document_ids(app)
    mails = [mail for mail in read_outbox(app) if sara.email in mail["To"]]
    assert len(mails) == 1 and "Your contract" in mails[0]["Subject"] + text_of(mails[0])
    assert not [mail for mail in read_outbox(app) if omid.email in mail["To"]]
    with app.app_context():
        from portal.notifications.models import Notification

        url = db.session.scalar(select(Notification.url).where(Notification.user_id == sara.id))
    assert url.startswith("/documents/open/")
    assert client.get(url).status_code == 302 and "/login" in client.get(url).headers["Location"]
    assert fresh_client(app, omid).get(url).status_code == 404, "the link is for Sara only"
    log_in(client, sara.email, TEST_PASSWORD)
    assert client.get(url).headers["Location"].endswith(f"/documents/{document_id}")
    assert client.get(url[:-3] + "abc").status_code == 404
    widget = client.get("/documents/widget", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Your contract" in widget
    client.get(f"/documents/{document_id}/download")
    assert "Your contract" not in client.get("/documents/widget").get_data(as_text=True), "opened: not new"


def test_publishing_to_a_group_notifies_each_member_once(server_name, app, make_user, staff):
    sara, omid = make_user("customer"), make_user("customer")
    agent_user, staff_client = staff
    publish(staff_client, audience="segment", segment="all-customers", title="For everyone")
    [document_id] = document_ids(app)
    told = sorted(str(mail["To"]) for mail in read_outbox(app))
    assert len(told) == 2 and sara.email in told[0] + told[1] and omid.email in told[0] + told[1]
    assert not [mail for mail in read_outbox(app) if agent_user.email in str(mail["To"])]
    from plugins.documents.publishing import notify_audience

    with app.test_request_context():
        notify_audience(document_id)  # the job run again (a retry): nobody is told twice
    assert len(read_outbox(app)) == 2


LIST = '<div id="documents-list">'
TEMPLATE = "<h1>{{ customer.name }}</h1><p>{{ customer.email }}</p>"


def test_templates_are_checked_when_saved_and_sandboxed(app, make_user):
    admin_client = fresh_client(app, make_user("admin"))
    broken = post_form(admin_client, "/staff/documents/templates/new", {"name": "Broken", "body": "{% if %}"})
    assert broken.status_code == 200 and "This template cannot be used" in broken.get_data(as_text=True)
    unknown = post_form(admin_client, "/staff/documents/templates/new", {"name": "U", "body": "{{ config }}"})
    assert "Unknown tokens: config" in unknown.get_data(as_text=True)
    escape = post_form(
        admin_client,
        "/staff/documents/templates/new",
        {"name": "E", "body": "{{ customer.__class__.__mro__ }}"},
    )
    assert "This template cannot be used" in escape.get_data(as_text=True)
    for body in (
        '{{ "x" * 100000000 }}',
        "{{ 2 ** 100000000 }}",
        "{% for a in customer %}{{ a * 99999 }}{% endfor %}",
    ):
        heavy = post_form(admin_client, "/staff/documents/templates/new", {"name": "H", "body": body})
        assert "This template cannot be used" in heavy.get_data(as_text=True), body
    with app.app_context():
        assert db.session.scalar(select(DocumentTemplate.id)) is None
    good = post_form(admin_client, "/staff/documents/templates/new", {"name": "Letter", "body": TEMPLATE})
    assert good.status_code == 302
    preview = admin_client.get(good.headers["Location"]).get_data(as_text=True)
    assert "<h1>Test Admin</h1>" in preview


class _PreviewReader(HTMLParser):
    """The elements inside the template previews of an edit page: (tag, attributes, text)."""

    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self.depth = 0  # open elements inside a preview, the preview's own box counted
        self.open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if not self.depth:
            if "documents-preview-body" in values.get("class", "").split():
                self.depth = 1
            return
        self.elements.append((tag, values, []))
        if tag not in self.VOID:
            self.depth += 1
            self.open.append(self.elements[-1][2])

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1
            if self.open:
                self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.depth:
            for text in self.open:
                text.append(data)


def preview_elements(page: str) -> list[tuple[str, dict[str, str], str]]:
    reader = _PreviewReader()
    reader.feed(page)
    reader.close()
    return [(tag, attrs, " ".join("".join(text).split())) for tag, attrs, text in reader.elements]


INJECTED = (
    "<h2>Dear {{ customer.name }}</h2>"
    "<p>Your <strong>account</strong> is ready.</p>"
    "<ul><li>First step</li><li>Second step</li></ul>"
    "<script>document.title = 'owned'</script>"
    '<img src=x onerror="alert(1)">'
    '<iframe src="https://evil.example/"></iframe>'
    "<style>body { display: none }</style>"
    '<p><a href="javascript:alert(2)">Click here</a></p>'
    '<p onclick="alert(3)" style="background: url(javascript:alert(4))">Signed</p>'
    '<svg><a href="javascript:alert(5)"><text>svg</text></a></svg>'
    "<form action=javascript:alert(6)><button formaction=javascript:alert(7)>Go</button></form>"
)


def test_the_preview_shows_only_what_the_pdf_shows(app, make_user):
    admin_client = fresh_client(app, make_user("admin"))
    saved = post_form(
        admin_client,
        "/staff/documents/templates/new",
        {"name": "Injected", "body": INJECTED, "body_fa": INJECTED.replace("Dear", "سلام")},
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    page = admin_client.get(saved.headers["Location"]).get_data(as_text=True)
    elements = preview_elements(page)
    assert elements, "both previews are on the page"
    assert {tag for tag, _, _ in elements} & {
        "script",
        "img",
        "iframe",
        "style",
        "svg",
        "form",
        "button",
    } == set()
    for tag, attrs, _ in elements:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        assert not [value for value in attrs.values() if "javascript:" in value.lower()], (tag, attrs)
    shown = {(tag, text) for tag, _, text in elements}
    assert {("h2", "Dear Test Admin"), ("h2", "سلام Test Admin"), ("strong", "account")} <= shown
    texts = [text for _, _, text in elements]
    assert "• First step" in texts and "• Second step" in texts, "list items carry the PDF's bullets"
    assert "Your account is ready." in texts and "Click here" in texts and "Signed" in texts
    assert "owned" not in " ".join(texts), "a script's text is dropped, as in the PDF"


ADDRESS_FIELDS = ("address", "street", "city", "postal_code", "country", "phone")


@pytest.mark.plugins("documents", "loyalty", "example")
def test_every_token_the_page_offers_can_be_saved(app, make_user):
    admin_client = fresh_client(app, make_user("admin"))
    page = admin_client.get("/staff/documents/templates/new").get_data(as_text=True)
    offered = re.findall(r"<code>\{\{ ([a-z_]+\.[a-z_0-9]+) \}\}</code>", page)
    assert {f"customer.{key}" for key in ADDRESS_FIELDS} <= set(offered)
    assert {"loyalty.tier", "example.notes"} <= set(offered), "plugins' fields are offered too"
    body = "".join(f"<p>{token}: {{{{ {token} }}}}</p>" for token in offered)
    saved = post_form(admin_client, "/staff/documents/templates/new", {"name": "Every token", "body": body})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    for key in ADDRESS_FIELDS:
        alone = f"<p>{{{{ customer.{key} or '-' }}}}</p>"
        answer = post_form(admin_client, "/staff/documents/templates/new", {"name": key, "body": alone})
        assert answer.status_code == 302, (key, answer.get_data(as_text=True))


def test_the_demo_template_can_be_saved_again(app):
    from plugins.documents.models import TemplateTranslation
    from portal.demo import DEMO_PASSWORD, load_demo_data

    with app.test_request_context():
        load_demo_data()
        template = db.session.scalar(
            select(DocumentTemplate).where(DocumentTemplate.name == "Welcome letter")
        )
        translation = db.session.scalar(
            select(TemplateTranslation.body).where(TemplateTranslation.template_id == template.id)
        )
        template_id, body = template.id, template.body
    admin_client = app.test_client()
    log_in(admin_client, "admin@example.com", DEMO_PASSWORD)
    url = f"/staff/documents/templates/{template_id}"
    assert admin_client.get(url).status_code == 200
    saved = post_form(admin_client, url, {"name": "Welcome letter", "body": body, "body_fa": translation})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert "Template saved." in admin_client.get(saved.headers["Location"]).get_data(as_text=True)


def test_a_template_document_is_a_pdf_made_for_each_reader(app, client, make_user, staff):
    sara = make_user("customer", name="سارا احمدی", language="fa")
    omid = make_user("customer", name="Omid <b>")
    with app.app_context():
        template = DocumentTemplate(name="Letter", body=TEMPLATE)
        db.session.add(template)
        db.session.commit()
        template_id = template.id
    _, staff_client = staff
    response = publish(
        staff_client,
        audience="segment",
        segment="all-customers",
        template=str(template_id),
        content=b"",
        name="",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    [document_id] = document_ids(app)
    log_in(client, sara.email, TEST_PASSWORD)
    pdf = client.get(f"/documents/{document_id}/download")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    assert "Invoice 7.pdf" in pdf.headers["Content-Disposition"]
    other = fresh_client(app, omid).get(f"/documents/{document_id}/download")
    assert other.status_code == 200 and other.data != pdf.data
    with app.app_context():
        db.session.get(DocumentTemplate, template_id).body = "{{ customer.nope.deeper }}"
        db.session.commit()
    failing = client.get(f"/documents/{document_id}/download")
    assert failing.status_code == 503
    with app.test_request_context(), force_locale("fa"):
        apology = gettext(
            "This document cannot be made right now. Our staff have been told; please try again later."
        )
    assert apology in failing.get_data(as_text=True), "Sara reads the apology in her language"


def test_demo_data_has_every_category_and_a_template_once(app, make_user):
    from plugins.documents import customer_data
    from portal.accounts.models import User

    sara = make_user("customer")
    with app.app_context():
        customer = db.session.get(User, sara.id)
        customer_data.add_demo([customer])
        customer_data.add_demo([customer])
        db.session.commit()
        categories = list(db.session.scalars(select(Document.category)))
        assert {"invoice", "contract", "manual", "statement"} <= set(categories)
        assert len(categories) == len(set(db.session.scalars(select(Document.title)))), "each once"
        assert db.session.query(DocumentTemplate).count() == 1


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on 127.0.0.1 stands in for object storage (AWS S3, MinIO): real boto3 calls."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    ).create_bucket(Bucket="documents-test")
    yield endpoint
    server.stop()


@pytest.fixture
def on_s3(app_config, s3_endpoint):
    app_config["PORTAL_STORAGE_URL"] = (
        f"s3://t:t@documents-test/run-{id(app_config)}?endpoint_url={s3_endpoint}&region=us-east-1"
    )


def test_documents_work_the_same_on_s3_storage(on_s3, app, client, make_user, staff):
    sara = make_user("customer")
    _, staff_client = staff
    assert publish(staff_client, customer_email=sara.email).status_code == 302
    [document_id] = document_ids(app)
    log_in(client, sara.email, TEST_PASSWORD)
    whole = client.get(f"/documents/{document_id}/download")
    assert whole.status_code == 200 and whole.data == PDF
    part = client.get(f"/documents/{document_id}/download", headers={"Range": "bytes=0-4"})
    assert part.status_code == 206 and part.data == b"%PDF-"


def test_downloads_can_be_handed_to_nginx(app_config):
    from portal import create_app
    from portal.testing import create_user

    app_config["PORTAL_STORAGE_ACCEL_REDIRECT"] = "/protected-files/"
    app = create_app(dict(app_config))
    sara = create_user(app, "customer")
    agent_client = fresh_client(app, create_user(app, "agent"))
    publish(agent_client, customer_email=sara.email)
    [document_id] = document_ids(app)
    response = fresh_client(app, sara).get(f"/documents/{document_id}/download")
    assert response.headers["X-Accel-Redirect"].startswith("/protected-files/documents/")
    assert response.data == b""
    with app.app_context():
        db.engine.dispose()


def test_switched_off_the_pages_answer_404_and_data_stays(app, client, make_user, staff):
    sara = make_user("customer")
    _, staff_client = staff
    publish(staff_client, customer_email=sara.email)
    [document_id] = document_ids(app)
    admin_client = fresh_client(app, make_user("admin"))
    assert post_form(admin_client, "/staff/plugins/documents", {"enabled": "0"}).status_code in (302, 303)
    log_in(client, sara.email, TEST_PASSWORD)
    assert client.get("/documents/").status_code == 404
    assert client.get(f"/documents/{document_id}/download").status_code == 404
    assert document_ids(app) == [document_id]


def test_erasing_an_account_removes_their_documents_and_log(app, client, make_user, staff):
    from plugins.documents import customer_data
    from portal.accounts.models import User
    from portal.plugin import storage

    sara, omid = make_user("customer"), make_user("customer")
    _, staff_client = staff
    publish(staff_client, customer_email=sara.email, title="Sara's own")
    publish(staff_client, audience="segment", segment="all-customers", title="For everyone")
    own_id, shared_id = document_ids(app)
    log_in(client, sara.email, TEST_PASSWORD)
    client.get(f"/documents/{shared_id}/download")
    fresh_client(app, omid).get(f"/documents/{shared_id}/download")
    with app.app_context():
        key = db.session.scalar(select(Version.storage_key).where(Version.document_id == own_id))
        exported = customer_data.export(db.session.get(User, sara.id))
        assert exported["documents_for_you"] == ["Sara's own"] and len(exported["downloads"]) == 1
        customer_data.erase(db.session.get(User, sara.id))
        db.session.commit()
        assert not storage().exists(key)
    assert document_ids(app) == [shared_id]
    log = staff_client.get(f"/staff/documents/{shared_id}").get_data(as_text=True)
    assert omid.email in log and sara.email not in log


def test_an_erasure_that_fails_later_keeps_the_customers_files(app, make_user, staff, monkeypatch):
    from portal.accounts import data_rights
    from portal.accounts.models import User
    from portal.plugin import storage

    sara = make_user("customer")
    _, staff_client = staff
    publish(staff_client, customer_email=sara.email, title="Sara's own")
    [document_id] = document_ids(app)

    def audit_fails(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")  # a failure after every plugin erased

    monkeypatch.setattr(data_rights.audit, "record", audit_fails)
    with app.app_context():
        key = db.session.scalar(select(Version.storage_key).where(Version.document_id == document_id))
        with pytest.raises(RuntimeError):
            data_rights.erase_customer(db.session.get(User, sara.id))
        assert storage().exists(key), "the rows are back, so their file must be too"
    assert document_ids(app) == [document_id]


def test_publishing_at_once_from_many_tabs_publishes_and_tells_once(app, make_user):
    from plugins.documents import publishing
    from portal.accounts.models import User
    from portal.testing.races import race_in_app

    reader = make_user("customer")
    agent = make_user("agent")
    with app.app_context():
        template = DocumentTemplate(name="Letter", body=TEMPLATE)
        db.session.add(template)
        db.session.flush()
        document = Document(
            title="Statement", category="statement", audience_customer_id=reader.id, template_id=template.id
        )
        db.session.add(document)
        db.session.commit()
        document_id = document.id

    def publish_once(_number: int) -> None:
        publishing.publish(db.session.get(Document, document_id), db.session.get(User, agent.id))
        db.session.commit()

    outcomes = race_in_app(app, 6, publish_once)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    with app.app_context():
        events = db.session.scalars(
            select(StoredEvent).where(StoredEvent.name == "documents.published")
        ).all()
        audits = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "documents.published")).all()
        assert (len(events), len(audits)) == (1, 1)
