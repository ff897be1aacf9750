"""The world the authorization matrix attacks: a victim's objects, the attackers, and how to name them.

A *victim* (an organization manager, with a member) owns one of everything a customer can own:
a ticket with an attachment, documents, a note, a notification, a survey answer, points and a
voucher, an invitation to their organization. Every one carries ``MARKER`` in the text a page
would show, so a page that leaks the victim's data to someone else is caught by looking for it.
The victim's ticket is in copy to a colleague (``watcher``), who may read and answer that one
ticket and nothing else of theirs, and was in copy to another (``removed_watcher``), who may no longer.

``ARGUMENT_BUILDERS`` maps each URL argument (by name, or by ``endpoint:name`` where one name means
different things on different routes) to how its value is made and what others may do with it.
A route whose argument has no builder fails the matrix, and tells its author to add one here.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask
from portal_example_plugin.models import Note
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from plugins.appointments import service as appointment_service
from plugins.appointments.models import Slot
from plugins.documents import links, publishing
from plugins.documents.models import Document, DocumentTemplate
from plugins.documents.publishing import NOTIFY_TASK
from plugins.documents.settings import categories as document_categories
from plugins.helpcenter import service as helpcenter_service
from plugins.helpcenter.models import Category as HelpCategory
from plugins.loyalty import ledger, rewards
from plugins.loyalty.images import PREFIX
from plugins.loyalty.models import EarningRule, Reward
from plugins.surveys import answering as survey_answering
from plugins.surveys import invitations as survey_invitations
from plugins.surveys.models import Invitation, Question, Survey
from plugins.tickets import attachments, watchers
from plugins.tickets import service as ticket_service
from plugins.tickets.models import Attachment, CannedReply, Ticket
from plugins.tickets.settings import categories as ticket_categories
from portal.accounts.models import User
from portal.api.tokens import issue_token
from portal.approvals.requests import request_approval
from portal.database import db, utcnow
from portal.jobs import Job
from portal.mail_in.models import InboundMailRecord
from portal.notifications.models import Notification
from portal.organizations import invitations as organization_invitations
from portal.organizations.membership import add_member, create_organization
from portal.passwords import hash_password
from portal.storage import storage
from portal.testing import TEST_PASSWORD
from portal.tokens import make_token
from portal.webhooks.models import Webhook, WebhookDelivery
from portal.webhooks.signing import new_secret

MARKER = "Zq7victimsecret"

# What someone other than the owner may do with an argument's object (see ``Argument``).
OWNED = "owned"  # the victim's: only the victim (and staff, through staff pages) may reach it
HIDDEN = "hidden"  # kept from every customer, the victim included; staff may reach it
NOBODY = "nobody"  # a link nobody signed in here may use (someone else's invitation, a forged token)
STAFF = "staff"  # an object of the staff side (a template, a failed job): staff pages reach it
VALUE = "value"  # not an object: a plugin's name, a setting's key, one of a fixed set of words

TINY_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass(frozen=True)
class Person:
    """One account of the world, as the matrix signs in with it."""

    id: int
    email: str


@dataclass
class World:
    """Ids and tokens of what the victim owns, and the people who will try to reach it."""

    people: dict[str, Person] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Argument:
    """How a URL argument is filled, and the rule that applies to whoever is not its owner."""

    kind: str
    value: Callable[[World], Any]


def _from(name: str) -> Callable[[World], Any]:
    return lambda world: world.values[name]


def _constant(text: str) -> Callable[[World], Any]:
    return lambda world: text


ARGUMENT_BUILDERS: dict[str, Argument] = {
    # tickets
    "ticket_id": Argument(OWNED, _from("ticket")),
    "attachment_id": Argument(OWNED, _from("attachment")),
    "watcher_id": Argument(OWNED, _from("watcher")),
    "reply_id": Argument(STAFF, _from("canned_reply")),
    "tickets_staff.delete_canned_reply:reply_id": Argument(STAFF, _from("doomed_canned_reply")),
    "message_id": Argument(OWNED, _from("message")),
    "tickets.rate_from_mail:token": Argument(NOBODY, _constant("forged.rating-link.token")),
    # documents
    "document_id": Argument(OWNED, _from("document")),
    "version_id": Argument(OWNED, _from("version")),
    "template_id": Argument(STAFF, _from("document_template")),
    "documents.open_link:token": Argument(OWNED, _from("document_link")),
    # loyalty: a withdrawn reward with a picture is the catalogue's "someone else's" object
    "reward_id": Argument(HIDDEN, _from("withdrawn_reward")),
    "redemption_id": Argument(OWNED, _from("redemption")),
    "rule_id": Argument(STAFF, _from("earning_rule")),
    # surveys: a survey only the victim was invited to, already answered
    "survey_id": Argument(OWNED, _from("survey")),
    "question_id": Argument(STAFF, _from("question")),
    "surveys.invitation:token": Argument(OWNED, _from("survey_link")),
    "surveys_staff.change_status:change": Argument(VALUE, _constant("publish")),
    "surveys_staff.change_question:change": Argument(VALUE, _constant("up")),
    # appointments: slots are offered to every customer; a booking is its customer's
    "slot_id": Argument(VALUE, _from("slot")),
    "booking_id": Argument(OWNED, _from("booking")),
    # help center: an article for the victim's organization only; its categories are everyone's
    "article_id": Argument(OWNED, _from("article")),
    "category_id": Argument(VALUE, _from("help_category")),
    "number": Argument(STAFF, _constant("1")),
    # example plugin
    "note_id": Argument(OWNED, _from("note")),
    # core: notifications, organizations, accounts, staff console
    "notification_id": Argument(OWNED, _from("notification")),
    "token_id": Argument(OWNED, _from("api_token")),
    "invitation_id": Argument(OWNED, _from("organization_invitation")),
    "user_id": Argument(OWNED, _from("victim_member")),
    "customer_id": Argument(OWNED, _from("victim_member")),
    "organization_id": Argument(STAFF, _from("victim_organization")),
    "organizations.join:token": Argument(NOBODY, _from("join_link")),
    "auth.verify_email:token": Argument(NOBODY, _from("verify_token_of_another_purpose")),
    "auth.reset_password:token": Argument(NOBODY, _from("reset_token_of_another_purpose")),
    "account.confirm_email_change:token": Argument(NOBODY, _from("email_change_token_of_another_purpose")),
    "job_id": Argument(STAFF, _from("failed_job")),
    "record_id": Argument(STAFF, _from("refused_mail")),
    "webhook_id": Argument(STAFF, _from("webhook")),
    "webhooks.delete:webhook_id": Argument(STAFF, _from("doomed_webhook")),
    "delivery_id": Argument(STAFF, _from("webhook_delivery")),
    "integration_id": Argument(STAFF, _from("integration")),
    "approval_id": Argument(STAFF, _from("approval")),
    "integrations.revoke:token_id": Argument(STAFF, _from("integration_token")),
    "plugin": Argument(VALUE, _constant("example")),
    "key": Argument(VALUE, _constant("panel_notes")),
    "api_segments.segment_members:key": Argument(
        STAFF, lambda world: f"organization:{world.values['victim_organization']}"
    ),
    "name": Argument(VALUE, _constant("example")),
    "kind": Argument(VALUE, _constant("customers")),  # an import or export kind (portal/transfers)
}

# The least a POST needs so that it does not undo the world for the rest of the walk: switching a
# plugin with no "enabled" field would switch it off and turn every later request to it into a 404.
MINIMAL_FORMS: dict[str, dict[str, str]] = {"staff.switch": {"enabled": "1"}}


def argument_for(endpoint: str, name: str) -> Argument | None:
    """The builder of ``name`` on ``endpoint``: the endpoint's own if it has one, else the name's."""
    return ARGUMENT_BUILDERS.get(f"{endpoint}:{name}") or ARGUMENT_BUILDERS.get(name)


def _person(role: str, name: str) -> User:
    user = User(
        email=f"{role}-{uuid.uuid4().hex[:8]}@example.com",
        name=name,
        role=role,
        password_hash=hash_password(TEST_PASSWORD),
        email_verified_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def _upload(content: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=filename)


def build_world(app: Flask) -> World:
    """Create the victim's objects and the attackers, through the plugins' own code where it has any."""
    world = World()
    with app.test_request_context():  # mail and notifications build links
        victim = _person("customer", f"Victoria {MARKER}")
        member = _person("customer", f"Victor {MARKER}")
        stranger = _person("customer", "Stella Stranger")
        other_member = _person("customer", "Otto Member")
        other_manager = _person("customer", "Olga Manager")
        agent = _person("agent", "Agnes Agent")
        admin = _person("admin", "Adam Admin")
        watcher = _person("customer", "Wanda Watcher")
        removed_watcher = _person("customer", "Remy Removed")
        organization = create_organization(f"Victim {MARKER} Ltd", "company", actor_id=None)
        add_member(organization, victim, "manager", actor_id=None, via="test")
        add_member(organization, member, "member", actor_id=None, via="test")
        other = create_organization("Other Ltd", "company", actor_id=None)
        add_member(other, other_manager, "manager", actor_id=None, via="test")
        add_member(other, other_member, "member", actor_id=None, via="test")
        invitation = organization_invitations.invite(
            organization, f"invitee-{uuid.uuid4().hex[:6]}@example.com", f"Ivy {MARKER}", victim
        )
        world.values.update(
            victim_member=member.id,
            victim_organization=organization.id,
            organization_invitation=invitation.id,
            join_link=make_token(organization_invitations.TOKEN_PURPOSE, {"invitation": invitation.id}),
            verify_token_of_another_purpose=make_token("reset", {"uid": victim.id, "email": victim.email}),
            reset_token_of_another_purpose=make_token("verify", {"uid": victim.id, "pw": ""}),
            email_change_token_of_another_purpose=make_token(
                "verify", {"uid": victim.id, "old": victim.email, "new": "attacker@evil.example"}
            ),
        )
        notification = Notification(
            user_id=victim.id, kind="documents.published", title=f"Notice {MARKER}", url="/documents/"
        )
        db.session.add(notification)
        db.session.flush()
        world.values["notification"] = notification.id
        token, _text = issue_token(victim, f"Tool {MARKER}", ["account:read"], utcnow() + timedelta(days=30))
        world.values["api_token"] = token.id
        _build_tickets(world, victim, member, agent)
        _build_watchers(world, victim, watcher, removed_watcher)
        _build_documents(world, victim, organization.id, admin)
        _build_loyalty(world, victim)
        _build_approval(world, victim, agent)
        _build_surveys(world, victim)
        _build_notes(world, victim, member)
        _build_appointments(world, victim)
        _build_helpcenter(world, organization.id, agent)
        db.session.commit()
        _build_operations(world)
        db.session.commit()
        for role, user in (
            ("owner", victim),
            ("victim_member", member),
            ("stranger", stranger),
            ("other_member", other_member),
            ("other_manager", other_manager),
            ("agent", agent),
            ("admin", admin),
            ("watcher", watcher),
            ("removed_watcher", removed_watcher),
        ):
            world.people[role] = Person(user.id, user.email)
        db.session.remove()
    return world


def _build_tickets(world: World, victim: User, member: User, agent: User) -> None:
    ticket, message = ticket_service.open_ticket(
        victim,
        subject=f"Broken {MARKER}",
        body=f"Details {MARKER}",
        category=ticket_categories()[0],
        priority="normal",
    )
    assert attachments.save(message, [_upload(f"secret file {MARKER}\n".encode(), "secret.txt")]) == []
    answer = ticket_service.add_reply(ticket, agent, f"Answer {MARKER}")
    db.session.refresh(ticket)  # the reply moved it on in the database
    ticket_service.change_status(ticket, "resolved", agent)
    ticket_service.open_ticket(
        member,
        subject=f"Member {MARKER}",
        body=f"Member {MARKER}",
        category=ticket_categories()[0],
        priority="normal",
    )
    canned = CannedReply(title=f"Canned {MARKER}", body=f"Canned {MARKER}")
    # The first staff member to walk the delete route deletes this one; the other stays for the rest.
    doomed = CannedReply(title=f"Doomed {MARKER}", body=f"Doomed {MARKER}")
    db.session.add_all([canned, doomed])
    db.session.flush()
    world.values.update(
        ticket=ticket.id,
        attachment=db.session.scalar(select(Attachment.id).where(Attachment.ticket_id == ticket.id)),
        message=answer.id,
        canned_reply=canned.id,
        doomed_canned_reply=doomed.id,
    )


def _build_watchers(world: World, victim: User, watcher: User, removed_watcher: User) -> None:
    """The victim's ticket in copy to a colleague, and to one taken off again: both know its id."""
    ticket = db.session.get(Ticket, world.values["ticket"])
    assert ticket is not None
    for person in (watcher, removed_watcher):
        assert watchers.add_watcher(ticket, person.email, victim) is None
    ids = {row.email: row.id for row in watchers.watchers_of(ticket.id)}
    assert watchers.remove_watcher(ticket, ids[removed_watcher.email])
    world.values["watcher"] = ids[watcher.email]


def _build_documents(world: World, victim: User, organization_id: int, admin: User) -> None:
    documents = []
    for audience in (
        {"audience_customer_id": victim.id},
        {"audience_key": f"organization:{organization_id}"},
    ):
        document = Document(
            title=f"Contract {MARKER}",
            description=f"About {MARKER}",
            category=document_categories()[0],
            created_by=admin.id,
            **audience,
        )
        db.session.add(document)
        db.session.flush()
        version = publishing.store_upload(
            _upload(f"contract {MARKER}\n".encode(), "contract.txt"), document, admin.id
        )
        publishing.publish(document, admin)
        documents.append((document, version))
    template = DocumentTemplate(name=f"Template {MARKER}", body="<p>Hello</p>")
    db.session.add(template)
    db.session.flush()
    document, version = documents[0]
    world.values.update(
        document=document.id,
        version=version.id,
        document_link=links.make_token(document.id, victim.id),
        document_template=template.id,
    )


def _build_loyalty(world: World, victim: User) -> None:
    ledger.credit(victim.id, 500, "goodwill", reason=f"Welcome {MARKER}", source=f"authz-world:{victim.id}")
    offered = Reward(title="Mug", description="A mug", cost=100, stock=10)
    image = storage().save(io.BytesIO(TINY_PNG), prefix=PREFIX, filename_hint="image.png")
    withdrawn = Reward(
        title=f"Withdrawn {MARKER}", description=MARKER, cost=100, stock=10, active=False, image_key=image.key
    )
    db.session.add_all([offered, withdrawn])
    db.session.flush()
    redemption = rewards.redeem(victim.id, offered.id, "authz-world")
    rule = db.session.scalar(select(EarningRule.id).where(EarningRule.event_name == "tickets.rated"))
    world.values.update(withdrawn_reward=withdrawn.id, redemption=redemption.id, earning_rule=rule)


def _build_approval(world: World, victim: User, agent: User) -> None:
    """Goodwill above the agent's limit for the victim, waiting for an administrator: staff decide it."""
    payload = {"customer_id": victim.id, "points": 900, "reason": f"Sorry {MARKER}", "source": "authz-world"}
    approval = request_approval(
        "loyalty.goodwill",
        payload,
        agent,
        f"Sorry {MARKER}",
        customer_id=victim.id,
        request_key="authz-world",
    )
    assert approval is not None
    world.values["approval"] = approval.id


def _build_surveys(world: World, victim: User) -> None:
    survey = Survey(title=f"Survey {MARKER}", intro=MARKER, status="published")
    db.session.add(survey)
    db.session.flush()
    question = Question(survey_id=survey.id, kind="short_text", text=f"Question {MARKER}", required=False)
    invitation = Invitation(survey_id=survey.id, customer_id=victim.id, status="sent", sent_at=utcnow())
    db.session.add_all([question, invitation])
    db.session.flush()
    response = survey_answering.get_or_start_response(survey, victim.id)
    survey_answering.save_answers(response, [question], {f"q{question.id}": [f"Answer {MARKER}"]})
    survey_answering.submit(survey, response, victim.id)
    world.values.update(
        survey=survey.id, question=question.id, survey_link=survey_invitations.invitation_token(invitation.id)
    )


def _build_notes(world: World, victim: User, member: User) -> None:
    note = Note(user_id=victim.id, body=f"Note {MARKER}", shared=True)
    db.session.add_all([note, Note(user_id=member.id, body=f"Member note {MARKER}", shared=True)])
    db.session.flush()
    world.values["note"] = note.id


def _build_appointments(world: World, victim: User) -> None:
    """A slot with one place, taken by the victim (the slot is everyone's to see, so it has no marker)."""
    starts = utcnow() + timedelta(days=10)
    slot = Slot(title="Consultation", starts_at=starts, ends_at=starts + timedelta(minutes=30), capacity=1)
    db.session.add(slot)
    db.session.flush()
    booking = appointment_service.book(slot, victim)
    world.values.update(slot=slot.id, booking=booking.id)


def _build_helpcenter(world: World, organization_id: int, agent: User) -> None:
    """An article only the victim's organization may read, and a draft no customer may: both marked."""
    category = HelpCategory(name="Your account")
    db.session.add(category)
    db.session.flush()
    article = helpcenter_service.save_article(
        None,
        title=f"Partner prices {MARKER}",
        body=f"Only for {MARKER}",
        translations=None,
        category_id=category.id,
        audience=f"organization:{organization_id}",
        author=agent,
    )
    helpcenter_service.set_status(article, "published", agent)
    helpcenter_service.save_article(
        None,
        title=f"Unannounced {MARKER}",
        body=f"Draft {MARKER}",
        translations=None,
        category_id=category.id,
        audience="everyone",
        author=agent,
    )
    world.values.update(article=article.id, help_category=category.id)


def _build_operations(world: World) -> None:
    """A failed job (event deliveries are jobs too, retried by the same route), a refused mail, webhooks."""

    job = Job(task=NOTIFY_TASK, arguments={"document_id": world.values["document"]}, status="failed")
    job.attempts = job.max_attempts = 3
    job.last_error = "failed for the matrix"
    db.session.add(job)
    db.session.flush()
    world.values.update(failed_job=job.id)
    raw = storage().save(io.BytesIO(b"From: eve@example.com\r\n\r\nforged"), prefix="mail-in")
    refused = InboundMailRecord(
        sender="eve@example.com", status="refused", reason="forged", storage_key=raw.key
    )
    db.session.add(refused)
    db.session.flush()
    world.values.update(refused_mail=refused.id)
    # A receiver on a documentation-only address: refused at send time, so the walk sends nothing.
    hooks = [
        Webhook(url="https://192.0.2.10/hook", events=["core.email_verified"], secret=new_secret())
        for _ in "ab"
    ]
    db.session.add_all(hooks)
    db.session.flush()
    sent = WebhookDelivery(
        webhook_id=hooks[0].id, event_name="core.email_verified", body="{}", status="delivered"
    )
    db.session.add(sent)
    db.session.flush()
    world.values.update(webhook=hooks[0].id, doomed_webhook=hooks[1].id, webhook_delivery=sent.id)
    integration = User(email="shop@integrations.invalid", name="Web shop", password_hash="!", role="agent")
    integration.is_integration = True
    db.session.add(integration)
    db.session.flush()
    token, _text = issue_token(integration, "Shop server", ["tickets:read"], utcnow() + timedelta(days=30))
    world.values.update(integration=integration.id, integration_token=token.id)


def _watched(world: World) -> list[tuple[str, str, list[int]]]:
    """Which rows make up what the victim has: (table, column, values of that column)."""
    victims = [world.people["owner"].id, world.people["victim_member"].id]
    tickets = list(
        db.session.scalars(
            select(db.metadata.tables["tickets_tickets"].c.id).where(
                db.metadata.tables["tickets_tickets"].c.customer_id.in_(victims)
            )
        )
    )
    documents = list(
        db.session.scalars(
            select(db.metadata.tables["documents_documents"].c.id).where(
                db.metadata.tables["documents_documents"].c.title.contains(MARKER)
            )
        )
    )
    organization = [world.values["victim_organization"]]
    survey = [world.values["survey"]]
    responses = list(
        db.session.scalars(
            select(db.metadata.tables["surveys_responses"].c.id).where(
                db.metadata.tables["surveys_responses"].c.survey_id.in_(survey)
            )
        )
    )
    return [
        ("portal_users", "id", victims),
        ("portal_organizations", "id", organization),
        ("portal_memberships", "organization_id", organization),
        ("portal_organization_invitations", "organization_id", organization),
        ("portal_notifications", "user_id", victims),
        ("portal_api_tokens", "user_id", victims),
        ("tickets_tickets", "customer_id", victims),
        ("tickets_messages", "ticket_id", tickets),
        ("tickets_attachments", "ticket_id", tickets),
        ("tickets_watchers", "ticket_id", tickets),
        ("documents_documents", "id", documents),
        ("documents_versions", "document_id", documents),
        ("documents_downloads", "document_id", documents),
        ("loyalty_accounts", "user_id", victims),
        ("loyalty_entries", "user_id", victims),
        ("loyalty_redemptions", "user_id", victims),
        ("loyalty_rewards", "id", [world.values["withdrawn_reward"]]),
        ("surveys_surveys", "id", survey),
        ("surveys_invitations", "survey_id", survey),
        ("surveys_responses", "survey_id", survey),
        ("surveys_answers", "response_id", responses),
        ("example_notes", "user_id", victims),
        ("appointments_bookings", "customer_id", victims),
        ("helpcenter_articles", "id", [world.values["article"]]),
        ("helpcenter_versions", "article_id", [world.values["article"]]),
    ]


def victim_state(app: Flask, world: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of what the victim has, so a test can tell whether someone else changed any of it."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    with app.app_context():
        for table_name, column, values in _watched(world):
            table = db.metadata.tables[table_name]
            rows = db.session.execute(select(table).where(table.c[column].in_(values))).all()
            state[table_name] = sorted((tuple(row) for row in rows), key=repr)
        db.session.remove()
    return state
