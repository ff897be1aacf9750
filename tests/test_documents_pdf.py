"""Template PDFs as a reader sees them: words and numbers in order, sides right, their own language.

The PDFs are read back with pypdf, which gives each piece of text and where on the page it starts.
"""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from plugins.documents.html_blocks import read_blocks
from plugins.documents.models import Document, DocumentTemplate, TemplateTranslation
from portal.database import db, utcnow
from portal.testing import TEST_PASSWORD, log_in, post_form

pytestmark = pytest.mark.plugins("documents")

A4_WIDTH_PT = 595


def pieces(pdf: bytes) -> list[tuple[float, str]]:
    """Each run of text on the first page with the x position (points) where it starts."""
    found: list[tuple[float, str]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((tm[4] * cm[0] + cm[4], text))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


def page_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def publish_template(app, body: str, translations: dict[str, str] | None = None) -> int:
    with app.app_context():
        template = DocumentTemplate(name="Letter", body=body)
        db.session.add(template)
        db.session.flush()
        for language, text in (translations or {}).items():
            db.session.add(TemplateTranslation(template_id=template.id, language=language, body=text))
        document = Document(
            title="Contract",
            category="contract",
            audience_key="all-customers",
            template_id=template.id,
            published=True,
            published_at=utcnow(),
        )
        db.session.add(document)
        db.session.commit()
        return document.id


def download_as(app, user, document_id: int) -> bytes:
    client = app.test_client()
    log_in(client, user.email, TEST_PASSWORD)
    response = client.get(f"/documents/{document_id}/download")
    assert response.status_code == 200 and response.mimetype == "application/pdf", response.status
    return response.data


LETTER = (
    "<h1>قرارداد شماره 417</h1>"
    "<p>{{ customer.name }} عزیز،</p><p>قرارداد از سال 2026 برقرار است.</p><p>مبلغ: 1,250,000 ریال</p>"
)


def test_numbers_inside_persian_sentences_read_in_order_and_lines_start_on_the_right(app, make_user):
    sara = make_user("customer", name="سارا احمدی", language="fa")
    document_id = publish_template(app, LETTER)
    pdf = download_as(app, sara, document_id)
    text = page_text(pdf)
    assert "2026" in text and "6202" not in text
    assert "1,250,000" in text and "417" in text
    assert "سارا احمدی" in text
    starts = [x for x, _ in pieces(pdf)]
    assert min(starts) > A4_WIDTH_PT / 3, "short Persian lines are set against the right margin"


def test_english_readers_get_lines_from_the_left(app, make_user):
    omid = make_user("customer", name="Omid Rahimi", language="en")
    document_id = publish_template(app, "<p>Dear {{ customer.name }}, your contract runs from 2026.</p>")
    pdf = download_as(app, omid, document_id)
    assert "Dear Omid Rahimi, your contract runs from 2026." in page_text(pdf)
    assert min(x for x, _ in pieces(pdf)) < 100


def test_a_customer_name_full_of_formatting_marks_is_printed_as_typed(app, make_user):
    odd = make_user("customer", name=r"A**B__C--D~~E \ F", language="en")
    document_id = publish_template(app, "<p>Name: <strong>{{ customer.name }}</strong></p>")
    assert r"A**B__C--D~~E \ F" in page_text(download_as(app, odd, document_id))


def test_each_reader_gets_the_template_in_their_language(app, make_user):
    sara = make_user("customer", name="سارا", language="fa")
    omid = make_user("customer", name="Omid", language="en")
    document_id = publish_template(
        app, "<p>Welcome, {{ customer.name }}.</p>", {"fa": "<p>{{ customer.name }} خوش آمدید.</p>"}
    )
    assert "خوش آمدید" in page_text(download_as(app, sara, document_id))
    assert "Welcome, Omid." in page_text(download_as(app, omid, document_id))


def test_images_in_a_template_are_never_fetched_or_embedded(app, make_user, tmp_path):
    picture = tmp_path / "secret.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    reader = make_user("customer", language="en")
    body = f'<p>Before</p><img src="{picture}"><img src="http://127.0.0.1:9/x.png"><p>After</p>'
    pdf = download_as(app, reader, publish_template(app, body))
    assert b"/Subtype /Image" not in pdf
    assert "Before" in page_text(pdf) and "After" in page_text(pdf)


def test_administrators_write_a_translation_beside_the_template(app, make_user):
    admin_client = app.test_client()
    admin = make_user("admin")
    log_in(admin_client, admin.email, TEST_PASSWORD)
    form = admin_client.get("/staff/documents/templates/new").get_data(as_text=True)
    assert 'name="body_fa"' in form
    saved = post_form(
        admin_client,
        "/staff/documents/templates/new",
        {
            "name": "Letter",
            "body": "<p>Hello {{ customer.name }}</p>",
            "body_fa": "<p>سلام {{ customer.name }}</p>",
        },
    )
    assert saved.status_code == 302
    page = admin_client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "سلام Test Admin" in page and "Hello Test Admin" in page, "both texts previewed"
    cleared = post_form(
        admin_client, saved.headers["Location"], {"name": "Letter", "body": "<p>Hello</p>", "body_fa": ""}
    )
    assert cleared.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TemplateTranslation)) == 0


def test_a_broken_translation_is_refused_at_save_time_and_nothing_is_lost(app, make_user):
    admin_client = app.test_client()
    admin = make_user("admin")
    log_in(admin_client, admin.email, TEST_PASSWORD)
    typed = "<p>سلام {{ customer.nickname }}</p>"
    response = post_form(
        admin_client,
        "/staff/documents/templates/new",
        {"name": "Letter", "body": "<p>Hello</p>", "body_fa": typed},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="body_fa-error"' in page and "nickname" in page.split('id="body_fa-error"')[1].split("</p>")[0]
    assert "سلام {{ customer.nickname }}" in page, "what the administrator typed is kept"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DocumentTemplate)) == 0


def test_a_template_longer_than_the_page_limit_is_refused_at_save_time(app, make_user):
    admin_client = app.test_client()
    log_in(admin_client, make_user("admin").email, TEST_PASSWORD)
    response = post_form(
        admin_client, "/staff/documents/templates/new", {"name": "Long", "body": "<h1>Page</h1>" * 3000}
    )
    assert "longer than 50 pages" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DocumentTemplate)) == 0


def test_html_is_read_as_headings_paragraphs_lists_and_tables():
    blocks = read_blocks(
        "<h2 align='center'>Title</h2>\n<p>One   <b>two</b>\n three<br>four</p>"
        "<ul><li>first</li><li>second</li></ul><ol><li>a<li>b</ol><hr>"
        "<table><tr><th>Item</th><th>Price</th></tr><tr><td>Tea</td><td>3</td></tr></table>"
        "<div dir='rtl'><p>inherits</p></div><script>alert(1)</script><style>p{}</style>",
        "en",
    )
    kinds = [(block.kind, block.heading, block.bullet, block.plain_text()) for block in blocks]
    assert kinds == [
        ("text", 2, "", "Title"),
        ("text", 0, "", "One two three\nfour"),
        ("text", 0, "•", "first"),
        ("text", 0, "•", "second"),
        ("text", 0, "1.", "a"),
        ("text", 0, "2.", "b"),
        ("rule", 0, "", ""),
        ("table", 0, "", ""),
        ("text", 0, "", "inherits"),
    ]
    assert blocks[0].align == "C"
    assert [run.bold for run in blocks[1].runs if run.text.strip()] == [False, True, False, False]
    table = blocks[7]
    assert table.header_row
    assert [["".join(r.text for r in cell) for cell in row] for row in table.rows] == [
        ["Item", "Price"],
        ["Tea", "3"],
    ]
    assert blocks[8].direction == "rtl"


def test_a_table_inside_a_table_joins_its_cell_and_the_outer_table_goes_on():
    [table, after] = read_blocks(
        "<table><tr><td>a<table><tr><td>x</td><td>y</td></tr></table></td><td>b</td></tr>"
        "<tr><td>c</td></tr></table><p>after</p>",
        "en",
    )
    assert [["".join(r.text for r in cell) for cell in row] for row in table.rows] == [["a x y", "b"], ["c"]]
    assert after.plain_text() == "after"


def test_the_customers_address_prints_with_the_country_named_in_their_language(app, make_user):
    sara = make_user(
        "customer",
        name="سارا احمدی",
        language="fa",
        address_street="خیابان ولیعصر، پلاک 12",
        address_postal_code="1968917",
        address_city="تهران",
        address_country="IR",
        phone="+98 21 1234 5678",
    )
    body = (
        "<p>{{ customer.street }}<br>{{ customer.postal_code }} {{ customer.city }}<br>"
        "{{ customer.country }}</p>"
        '<p dir="ltr">{{ customer.phone }}</p>'
    )
    text = page_text(download_as(app, sara, publish_template(app, body)))
    assert "خیابان ولیعصر، پلاک" in text and "1968917" in text and "تهران" in text and "ایران" in text
    assert "+98 21 1234 5678" in text


# --- dates: the preview and the PDF write them the same way ------------------------------------------

JOINED = datetime(2026, 11, 29, 8, 0)  # 8 Azar 1405 in the Solar Hijri calendar
JOINED_IN_PERSIAN = "۸ آذر ۱۴۰۵"
MEMBER_LETTER = "<p>Member since {{ customer.member_since }}.</p>"
MEMBER_LETTER_FA = (
    "<p>عضو از {{ customer.member_since }} با شماره ۴۱۷.</p><ol><li>کارت عضویت</li><li>راهنما</li></ol>"
)


def laid_out_text(pdf: bytes) -> str:
    """The first page's text in visual order, left to right, glyph by glyph as it is printed."""
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text(extraction_mode="layout")


def seen_right_to_left(sentence: str) -> str:
    """How a right-to-left ``sentence`` looks printed, read off left to right: its words in reverse
    order, each word's letters reversed, numbers (which run left to right) kept as they are."""
    words = reversed(sentence.split())
    return " ".join(word if word.isdigit() else word[::-1] for word in words)


def test_a_persian_pdf_carries_the_solar_hijri_date_in_persian_digits(app, make_user):
    sara = make_user("customer", name="سارا احمدی", language="fa", created_at=JOINED)
    document_id = publish_template(app, MEMBER_LETTER, {"fa": MEMBER_LETTER_FA})
    printed = laid_out_text(download_as(app, sara, document_id))
    assert seen_right_to_left(f"عضو از {JOINED_IN_PERSIAN} با شماره ۴۱۷") in printed, printed
    assert not any(digit in printed for digit in "0123456789"), "numbered lists count in Persian too"
    assert "November" not in printed and seen_right_to_left("نوامبر") not in printed, printed


def test_the_preview_writes_dates_as_the_pdf_does(app, make_user):
    """The administrator previews the Persian text with their own details, as a Persian reader gets
    it: the same Solar Hijri date in Persian digits as the customer's PDF, not their own English one."""
    admin = make_user("admin", created_at=JOINED)
    sara = make_user("customer", name="سارا احمدی", language="fa", created_at=JOINED)
    document_id = publish_template(app, MEMBER_LETTER, {"fa": MEMBER_LETTER_FA})
    with app.app_context():
        template_id = db.session.get(Document, document_id).template_id
    admin_client = app.test_client()
    log_in(admin_client, admin.email, TEST_PASSWORD)
    editor = admin_client.get(f"/staff/documents/templates/{template_id}").get_data(as_text=True)
    assert f"عضو از {JOINED_IN_PERSIAN} با شماره ۴۱۷." in editor
    assert "Member since November 29, 2026." in editor, "the English text still previews in English"
    printed = laid_out_text(download_as(app, sara, document_id))
    assert seen_right_to_left(f"عضو از {JOINED_IN_PERSIAN}") in printed, printed
