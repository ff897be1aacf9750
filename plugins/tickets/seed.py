"""Tickets for ``portal seed``: each with the customer's opening message and its replies, both ways."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from portal.plugin import SeedRun

from .models import PRIORITIES, STATUSES, Message, Ticket
from .settings import DEFAULT_CATEGORIES

FIRST_CUSTOMER_TICKETS = 60  # more than two pages of the ticket list for the benchmark's customer
SUBJECTS = (
    "Invoice shows the wrong amount",
    "Parcel has not arrived",
    "Cannot change my delivery address",
    "Points missing after purchase",
    "Question about my contract",
    "App crashes when I sign in",
)
REPLY_BODIES = (
    "Thanks for writing to us. We are looking into it and will come back to you today.",
    "I checked again this morning and it is still the same, could you have another look?",
    "We found the cause and corrected it on our side; it should be right now.",
    "Thank you, that solved it.",
)


def seed_tickets(run: SeedRun) -> None:
    """``run.counts.tickets`` tickets over history, each with an opening message and ``replies`` replies."""
    rng = run.random("tickets")
    categories = [name.strip() for name in DEFAULT_CATEGORIES.split(",")]
    customers = run.customer_ids
    total = run.counts.tickets if customers else 0
    owners = [
        customers[0] if number < FIRST_CUSTOMER_TICKETS else rng.choice(customers) for number in range(total)
    ]
    opened = [run.moment(rng) for _ in range(total)]

    def tickets() -> Iterator[dict[str, Any]]:
        for number in range(total):
            status = STATUSES[number % len(STATUSES)]
            created_at = opened[number]
            answered = status != "new"
            resolved = status in ("resolved", "closed")
            yield {
                "customer_id": owners[number],
                "subject": rng.choice(SUBJECTS),
                "category": rng.choice(categories),
                "priority": rng.choice(PRIORITIES),
                "status": status,
                "assignee_id": rng.choice(run.agent_ids) if answered else None,
                "created_at": created_at,
                "updated_at": created_at + timedelta(hours=run.counts.replies),
                "first_response_due": created_at + timedelta(hours=8),
                "resolution_due": created_at + timedelta(days=3),
                "first_response_at": created_at + timedelta(hours=1) if answered else None,
                "resolved_at": created_at + timedelta(days=1) if resolved else None,
                "closed_at": created_at + timedelta(days=2) if status == "closed" else None,
                "channel": "web",
                "opened_by_id": owners[number],
            }

    ids = run.insert_returning(Ticket, Ticket.id, tickets(), total, "tickets")

    def messages() -> Iterator[dict[str, Any]]:
        for ticket_id, owner, created_at in zip(ids, owners, opened, strict=True):
            yield {
                "ticket_id": ticket_id,
                "author_id": owner,
                "from_staff": False,
                "internal": False,
                "body": "Hello, " + rng.choice(SUBJECTS).lower() + ". Could you help me, please?",
                "created_at": created_at,
            }
            for reply in range(run.counts.replies):
                from_staff = reply % 2 == 0
                yield {
                    "ticket_id": ticket_id,
                    "author_id": rng.choice(run.agent_ids) if from_staff else owner,
                    "from_staff": from_staff,
                    "internal": False,
                    "body": REPLY_BODIES[reply % len(REPLY_BODIES)],
                    "created_at": created_at + timedelta(hours=reply + 1),
                }

    run.insert(Message, messages(), total * (1 + run.counts.replies), "ticket messages")
