"""What the tickets plugin adds to the portal's shared pages: links, tiles, panels, slots, data hooks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import delete, func, select, update

from portal.plugin import (
    NavItem,
    NotificationType,
    Panel,
    ScheduledTask,
    User,
    Widget,
    db,
    delete_after_commit,
    set_translations,
    utcnow,
)

from . import held_mail, service, staff_alerts, watchers
from .models import ACTIVE_STATUSES, Attachment, CannedReply, Message, Ticket


def customer_links(user: User | None) -> list[NavItem]:
    """ "Support" for customers only: staff answer tickets from the queue, not as customers."""
    if user is None or user.is_staff:
        return []
    return [NavItem(label=_l("Support"), endpoint="tickets.index", order=20, icon="ticket")]


def staff_links() -> list[NavItem]:
    return [NavItem(label=_l("Tickets"), endpoint="tickets_staff.queue", order=20)]


def dashboard_widgets(user: User | None) -> list[Widget]:
    if user is None or user.is_staff:
        return []
    return [Widget(name="tickets.open", title=_l("Your open tickets"), endpoint="tickets.widget", order=20)]


def notification_types() -> list[NotificationType]:
    return [
        NotificationType(
            kind="tickets.reply",
            label=_l("Replies to your tickets"),
            description=_l("When our staff answer one of your tickets."),
        ),
        NotificationType(
            kind="tickets.status",
            label=_l("Changes to your tickets"),
            description=_l("When one of your tickets is resolved, closed or waits for you."),
        ),
        *staff_alert_types(),
    ]


def staff_alert_types() -> list[NotificationType]:
    """The staff alerts (staff_alerts.py): offered to agents and administrators only, never customers."""
    return [
        NotificationType(
            kind="tickets.queue_new",
            label=_l("New tickets in the queue"),
            description=_l(
                "When a ticket is opened in a category you own, or in any category if it has no owners."
            ),
            audience="staff",
        ),
        NotificationType(
            kind="tickets.customer_reply",
            label=_l("Customer replies on your tickets"),
            description=_l("When the customer answers or reopens a ticket assigned to you."),
            audience="staff",
        ),
        NotificationType(
            kind="tickets.assigned",
            label=_l("Tickets assigned to you"),
            description=_l("When a colleague gives you a ticket."),
            audience="staff",
        ),
        NotificationType(
            kind="tickets.target_soon",
            label=_l("Response targets about to be missed"),
            description=_l(
                "When a ticket assigned to you, or unassigned in your queue, nears its response target."
            ),
            audience="staff",
        ),
        NotificationType(
            kind="tickets.mention",
            label=_l("Mentions in internal notes"),
            description=_l("When a colleague mentions you with @ in an internal note."),
            audience="staff",
        ),
    ]


def customer_panels(customer: User) -> list[Panel]:
    tickets = db.session.scalars(
        select(Ticket).where(Ticket.customer_id == customer.id).order_by(Ticket.id.desc()).limit(10)
    ).all()
    open_count = db.session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.customer_id == customer.id, Ticket.status.in_(ACTIVE_STATUSES))
    )
    return [
        Panel(
            name="tickets.recent",
            title=_l("Tickets"),
            template="tickets/customer_panel.html",
            context={"tickets": tickets, "open_count": open_count or 0, "customer_id": customer.id},
            order=30,
        )
    ]


def render_slot(slot: str, context: dict[str, Any]) -> Markup | None:
    """The help link under customers' pages; a link to one ticket for ``tickets.ticket_link``."""
    if slot == "tickets.ticket_link":
        return ticket_link(context.get("ticket_id"))
    if slot != "page_bottom" or not request or (request.blueprint or "").startswith(("tickets", "staff")):
        return None
    if current_user.is_authenticated and not current_user.is_staff:
        return Markup(render_template("tickets/help_link.html"))  # noqa: S704  (autoescaped template)
    return None


def ticket_link(ticket_id: object) -> Markup | None:
    """ "Ticket #12", linked to the page the reader may open: the staff page for staff, theirs for customers.

    Other plugins mention tickets (a goodwill entry given for one) without importing this plugin: they
    ask this slot, which is empty when the plugin is off. No query: the page linked to checks access.
    """
    if not isinstance(ticket_id, int) or isinstance(ticket_id, bool) or not current_user.is_authenticated:
        return None
    endpoint = "tickets_staff.staff_show" if current_user.is_staff else "tickets.show"
    return Markup(  # noqa: S704  (autoescaped template output)
        render_template(
            "tickets/ticket_link.html", url=url_for(endpoint, ticket_id=ticket_id), number=ticket_id
        )
    )


def scheduled_tasks() -> list[ScheduledTask]:
    return [
        ScheduledTask(name="tickets.autoclose", every=timedelta(hours=1), function=service.autoclose),
        ScheduledTask(
            name="tickets.target_soon", every=timedelta(minutes=10), function=staff_alerts.warn_of_targets
        ),
        ScheduledTask(name="tickets.sweep_held_mail", every=timedelta(days=1), function=held_mail.sweep),
    ]


def export_customer_data(user: User) -> dict[str, Any] | None:
    """The customer's tickets and the conversation they saw: never internal notes."""
    tickets = db.session.scalars(
        select(Ticket).where(Ticket.customer_id == user.id).order_by(Ticket.id)
    ).all()
    if not tickets:
        return None
    messages = db.session.scalars(
        select(Message)
        .where(Message.ticket_id.in_([t.id for t in tickets]), Message.internal.is_(False))
        .order_by(Message.id)
    ).all()
    by_ticket: dict[int, list[dict[str, Any]]] = {}
    for message in messages:
        by_ticket.setdefault(message.ticket_id, []).append(
            {
                "from": "staff" if message.from_staff else "customer",
                "body": message.body,
                "created_at": message.created_at.isoformat(),
            }
        )
    return {
        "tickets": [
            {
                "id": t.id,
                "subject": t.subject,
                "category": t.category,
                "priority": t.priority,
                "status": t.status,
                "created_at": t.created_at.isoformat(),
                "rating": t.rating,
                "rating_comment": t.rating_comment,
                "messages": by_ticket.get(t.id, []),
            }
            for t in tickets
        ]
    }


def erase_customer_data(user: User) -> None:
    """The customer's tickets go; what they wrote on others' tickets (staff) loses its author, and
    their address leaves the copy lists of others' tickets."""
    ticket_ids = select(Ticket.id).where(Ticket.customer_id == user.id)
    keys = db.session.scalars(
        select(Attachment.storage_key).where(Attachment.ticket_id.in_(ticket_ids))
    ).all()
    db.session.execute(delete(Attachment).where(Attachment.ticket_id.in_(ticket_ids)))
    db.session.execute(delete(Message).where(Message.ticket_id.in_(ticket_ids)))
    db.session.execute(delete(Ticket).where(Ticket.customer_id == user.id))
    db.session.execute(update(Message).where(Message.author_id == user.id).values(author_id=None))
    db.session.execute(update(Ticket).where(Ticket.assignee_id == user.id).values(assignee_id=None))
    watchers.forget_address(user.email)
    delete_after_commit(*keys)


DEMO = [
    ("new", "question", "normal", "How do I change my delivery address?"),
    ("open", "problem", "high", "The invoice for March is missing"),
    ("waiting", "request", "low", "Please add my colleague to our account"),
    ("resolved", "complaint", "urgent", "The order arrived damaged"),
    ("closed", "question", "normal", "Opening hours over the holidays"),
]


DEMO_CANNED = [
    (
        "Thanks, we are on it",
        "Thank you for writing to us. We are looking into it and will answer here soon.",
        "ممنون، در حال پیگیری هستیم",
        "از اینکه برای ما نوشتید سپاسگزاریم. موضوع را بررسی می‌کنیم و به‌زودی همین‌جا پاسخ می‌دهیم.",
    ),
    (
        "Change of delivery address",
        "You can change your delivery address under Account, then Addresses.",
        "تغییر نشانی تحویل",
        "نشانی تحویل را می‌توانید در «حساب کاربری»، بخش «نشانی‌ها» تغییر دهید.",
    ),
]


def load_demo_data(customers: list[User]) -> None:
    """Canned replies in English and Persian, and tickets in every status for the first demo customer;
    added once."""
    if db.session.scalar(select(CannedReply.id).limit(1)) is None:
        for title, body, title_fa, body_fa in DEMO_CANNED:
            reply = CannedReply(title=title, body=body)
            set_translations(reply, {"fa": {"title": title_fa, "body": body_fa}})
            db.session.add(reply)
    if not customers:
        return
    owner = customers[0]
    if db.session.scalar(select(Ticket.id).where(Ticket.customer_id == owner.id).limit(1)) is not None:
        return
    now = utcnow()
    for status, category, priority, subject in DEMO:
        ticket = Ticket(
            customer_id=owner.id,
            subject=subject,
            category=category,
            priority=priority,
            status=status,
            created_at=now - timedelta(days=3),
            updated_at=now,
            first_response_due=now - timedelta(days=2),
            resolution_due=now + timedelta(days=2),
            first_response_at=None if status == "new" else now - timedelta(days=2, hours=20),
            resolved_at=now - timedelta(days=1) if status in ("resolved", "closed") else None,
            closed_at=now if status == "closed" else None,
        )
        db.session.add(ticket)
        db.session.flush()
        db.session.add(Message(ticket_id=ticket.id, author_id=owner.id, body=subject + "\n\nThank you!"))
        if status != "new":
            db.session.add(
                Message(ticket_id=ticket.id, from_staff=True, body="Thanks for writing to us. We are on it.")
            )
