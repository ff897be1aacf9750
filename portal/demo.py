"""Demo data for trying the portal: a few customers and staff, plus whatever enabled plugins add."""

from __future__ import annotations

from dataclasses import dataclass

from portal.accounts.models import User, find_user_by_email
from portal.database import db, utcnow
from portal.passwords import hash_password
from portal.plugin_manager import plugin_host

DEMO_PASSWORD = "portal-demo-password"  # noqa: S105  (published on purpose: demo only)


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: str
    language: str = "en"
    timezone: str = "UTC"


DEMO_PEOPLE = (
    DemoPerson("admin@example.com", "Ava Administrator", "admin"),
    DemoPerson("agent@example.com", "Arash Agent", "agent", timezone="Asia/Tehran"),
    DemoPerson("sara@example.com", "Sara Ahmadi", "customer", language="fa", timezone="Asia/Tehran"),
    DemoPerson("david@example.com", "David Chen", "customer", timezone="Europe/London"),
    DemoPerson("maryam@example.com", "Maryam Karimi", "customer", timezone="Europe/Berlin"),
)


def load_demo_data() -> list[DemoPerson]:
    """Create what is missing and leave what exists, so running it twice changes nothing."""
    password_hash = None
    customers = []
    for person in DEMO_PEOPLE:
        user = find_user_by_email(person.email)
        if user is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            user = User(
                email=person.email,
                name=person.name,
                role=person.role,
                language=person.language,
                timezone=person.timezone,
                password_hash=password_hash,
                email_verified_at=utcnow(),
            )
            db.session.add(user)
        if person.role == "customer":
            customers.append(user)
    db.session.flush()
    plugin_host().hook.portal_load_demo_data(customers=customers)
    db.session.commit()
    return list(DEMO_PEOPLE)
