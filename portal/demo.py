"""Demo data for trying the portal: customers, staff, organizations, plus whatever enabled plugins add."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.accounts.models import User, find_user_by_email
from portal.database import db, utcnow
from portal.organizations.membership import add_member, create_organization, membership_of
from portal.organizations.models import Organization
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
    address: tuple[str, str, str, str] = ("", "", "", "")  # street, postal code, city, country code
    phone: str = ""


DEMO_PEOPLE = (
    DemoPerson("admin@example.com", "Ava Administrator", "admin"),
    DemoPerson("agent@example.com", "Arash Agent", "agent", timezone="Asia/Tehran"),
    DemoPerson(
        "sara@example.com",
        "Sara Ahmadi",
        "customer",
        language="fa",
        timezone="Asia/Tehran",
        address=("Valiasr Street 1204", "1968917", "Tehran", "IR"),
        phone="+98 21 2204 1700",
    ),
    DemoPerson(
        "david@example.com",
        "David Chen",
        "customer",
        timezone="Europe/London",
        address=("221 Baker Street", "NW1 6XE", "London", "GB"),
    ),
    DemoPerson("maryam@example.com", "Maryam Karimi", "customer", timezone="Europe/Berlin"),
)


@dataclass(frozen=True)
class DemoOrganization:
    name: str
    kind: str
    managers: tuple[str, ...]
    members: tuple[str, ...] = ()


# A company whose buyer (Sara) looks after a colleague, and a household of one to invite others into.
DEMO_ORGANIZATIONS = (
    DemoOrganization("Parsian Trading", "company", ("sara@example.com",), ("david@example.com",)),
    DemoOrganization("Karimi family", "household", ("maryam@example.com",)),
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
                address_street=person.address[0],
                address_postal_code=person.address[1],
                address_city=person.address[2],
                address_country=person.address[3],
                phone=person.phone,
                password_hash=password_hash,
                email_verified_at=utcnow(),
            )
            db.session.add(user)
        if person.role == "customer":
            customers.append(user)
    db.session.flush()
    _load_demo_organizations()
    plugin_host().hook.portal_load_demo_data(customers=customers)
    db.session.commit()
    return list(DEMO_PEOPLE)


def _load_demo_organizations() -> None:
    """Create each demo organization once, and add those of its people who belong to none yet."""
    for demo in DEMO_ORGANIZATIONS:
        organization = db.session.scalars(
            select(Organization)
            .where(Organization.name == demo.name, Organization.kind == demo.kind)
            .order_by(Organization.id)
        ).first()
        if organization is None:
            organization = create_organization(demo.name, demo.kind, actor_id=None)
        for role, emails in (("manager", demo.managers), ("member", demo.members)):
            for email in emails:
                user = find_user_by_email(email)
                if user is not None and membership_of(user.id) is None:
                    add_member(organization, user, role, actor_id=None, via="demo")
