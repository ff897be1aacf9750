"""The customer's side of the plugin's data: the 360° panel, export, erasure and demo data."""

from __future__ import annotations

import io

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from portal.plugin import Panel, User, db, delete_after_commit, localized, set_translations, storage, utcnow

from .models import Document, DocumentTemplate, Download, TemplateTranslation, Version

PANEL_ROWS = 10


def customer_panels(customer: User) -> list[Panel]:
    """The customer's latest downloads, for their page in the staff console."""
    rows = db.session.execute(
        select(Download.created_at, Document.id, Document.title)
        .join(Document, Document.id == Download.document_id)
        .where(Download.user_id == customer.id)
        .order_by(Download.id.desc())
        .limit(PANEL_ROWS)
    ).all()
    count = db.session.scalar(
        select(func.count()).select_from(Download).where(Download.user_id == customer.id)
    )
    return [
        Panel(
            name="documents.downloads",
            title=_l("Documents downloaded"),
            template="documents/customer_panel.html",
            context={"rows": rows, "count": count or 0},
            order=60,
        )
    ]


def export(user: User) -> dict | None:
    downloads = db.session.execute(
        select(Download.created_at, Document)
        .join(Document, Document.id == Download.document_id)
        .where(Download.user_id == user.id)
        .order_by(Download.id)
    ).all()
    own = db.session.scalars(select(Document).where(Document.audience_customer_id == user.id)).all()
    if not downloads and not own:
        return None
    language = user.language
    return {
        "downloads": [
            {"document": localized(document, "title", language), "at": at.isoformat()}
            for at, document in downloads
        ],
        "documents_for_you": [localized(document, "title", language) for document in own],
    }


def erase(user: User) -> None:
    """Documents addressed to this customer alone go, with their files; the download log goes too."""
    keys = db.session.scalars(
        select(Version.storage_key)
        .join(Document, Document.id == Version.document_id)
        .where(Document.audience_customer_id == user.id)
    ).all()
    db.session.execute(delete(Download).where(Download.user_id == user.id))
    db.session.execute(delete(Document).where(Document.audience_customer_id == user.id))
    delete_after_commit(*keys)


DEMO_TEMPLATE = (
    "<h1>Welcome, {{ customer.name }}</h1>\n"
    "<p>Thank you for being our customer since <strong>{{ customer.member_since }}</strong>.</p>\n"
    "<table><tr><th>Your details</th><th></th></tr>\n"
    "<tr><td>Email</td><td>{{ customer.email }}</td></tr>\n"
    "<tr><td>Organization</td><td>{{ customer.organization or '-' }}</td></tr>\n"
    "<tr><td>Address</td><td>{{ customer.address or '-' }}</td></tr></table>\n"
    "<ul><li>Open a support ticket from any page.</li><li>Find every document here, in one place.</li></ul>"
)
DEMO_TEMPLATE_FA = (
    "<h1>{{ customer.name }}، خوش آمدید</h1>\n"
    "<p>سپاس که از <strong>{{ customer.member_since }}</strong> مشتری ما هستید.</p>\n"
    "<table><tr><th>مشخصات شما</th><th></th></tr>\n"
    "<tr><td>ایمیل</td><td>{{ customer.email }}</td></tr>\n"
    "<tr><td>سازمان</td><td>{{ customer.organization or '-' }}</td></tr>\n"
    "<tr><td>نشانی</td><td>{{ customer.address or '-' }}</td></tr></table>\n"
    "<ul><li>از هر صفحه می‌توانید درخواست پشتیبانی ثبت کنید.</li><li>همهٔ اسناد شما اینجا در یک جاست.</li></ul>"
)
DEMO_DOCUMENTS = [
    ("invoice", "Invoice 2026-001", "Your invoice for November."),
    ("contract", "Service contract", "The contract we signed."),
    ("manual", "User manual", "How to use the product."),
    ("statement", "Annual statement", "Your statement for the year."),
]
# The same documents in Persian, so a Persian customer of the demo reads no English staff text.
DEMO_DOCUMENTS_FA = {
    "invoice": ("صورت‌حساب ۲۰۲۶-۰۰۱", "صورت‌حساب شما برای ماه نوامبر."),
    "contract": ("قرارداد خدمات", "قراردادی که با هم امضا کردیم."),
    "manual": ("راهنمای کاربر", "شیوهٔ استفاده از محصول."),
    "statement": ("صورت‌وضعیت سالانه", "صورت‌وضعیت شما برای این سال."),
}
DEMO_LETTER_FA = ("نامهٔ خوشامد", "نامه‌ای که برای شما نوشته شده است.")


def add_demo(customers: list[User]) -> None:
    """One document of every category and a welcome letter for each demo customer, and one template.

    Each document is addressed to one demo customer, never to all customers: a customer who signs up
    on a demo site must not find someone else's invoice on their dashboard. A customer who already has
    the demo documents is left alone, so loading the demo twice changes nothing.
    """
    template = db.session.scalar(select(DocumentTemplate).where(DocumentTemplate.name == "Welcome letter"))
    if template is None:
        template = DocumentTemplate(name="Welcome letter", body=DEMO_TEMPLATE)
        db.session.add(template)
        db.session.flush()
        db.session.add(TemplateTranslation(template_id=template.id, language="fa", body=DEMO_TEMPLATE_FA))
    served = set(
        db.session.scalars(
            select(Document.audience_customer_id).where(
                Document.template_id == template.id, Document.audience_customer_id.is_not(None)
            )
        )
    )
    for customer in customers:
        if customer.id not in served:
            _add_demo_documents(customer, template.id)


def _add_demo_documents(customer: User, template_id: int) -> None:
    for category, title, description in DEMO_DOCUMENTS:
        document = Document(
            title=title,
            description=description,
            category=category,
            audience_customer_id=customer.id,
            published=True,
            published_at=utcnow(),
        )
        title_fa, description_fa = DEMO_DOCUMENTS_FA[category]
        set_translations(document, {"fa": {"title": title_fa, "description": description_fa}})
        db.session.add(document)
        db.session.flush()
        text = f"{title}\n\n{description}\n".encode()
        stored = storage().save(io.BytesIO(text), prefix="documents", filename_hint="demo.txt")
        db.session.add(
            Version(
                document_id=document.id,
                number=1,
                storage_key=stored.key,
                filename=f"{title}.txt",
                mimetype="text/plain",
                size=stored.size,
                sha256=stored.sha256,
            )
        )
    letter = Document(
        title="Welcome letter",
        description="A letter made for you.",
        category="statement",
        audience_customer_id=customer.id,
        template_id=template_id,
        published=True,
        published_at=utcnow(),
    )
    set_translations(letter, {"fa": {"title": DEMO_LETTER_FA[0], "description": DEMO_LETTER_FA[1]}})
    db.session.add(letter)
