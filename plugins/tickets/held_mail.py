"""Tickets before sign-up: mail from someone without a confirmed account, held until they have one.

``hold`` keeps the mail (and its files) by the sender's address and, once a day per address, tells
the sender how to make it a ticket; ``release`` makes the held mail of exactly the address an account
just confirmed into that account's tickets; ``sweep`` removes what nobody claimed within 30 days.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from werkzeug.datastructures import FileStorage

from portal.plugin import (
    Event,
    InboundMail,
    MailRefused,
    User,
    db,
    delete_after_commit,
    detect_type,
    discard_unless_committed,
    external_url,
    get_setting,
    send_mail,
    storage,
    utcnow,
)

from . import service
from .attachments import TYPES_BY_NAME, allowed_types
from .held_mail_models import SENDER_NAME_MAX, HeldFile, HeldMail
from .inbound_mail import checked_content, message_digest, subject_of
from .limits import MEGABYTE
from .models import Attachment, Ticket
from .settings import categories

HELD_PER_ADDRESS = 20
KEEP_DAYS = 30
ACKNOWLEDGE_EVERY = timedelta(days=1)
SWEEP_BATCH = 500


def hold(mail: InboundMail) -> None:
    """Keep a mail whose sender has no confirmed account, under the web form's limits.

    The same mail twice is kept once; past ``HELD_PER_ADDRESS`` waiting mails from one address the
    mail is refused, so nobody can fill the portal's storage without an account. The sender hears
    how to claim it at most once a day, so a stranger's address cannot be flooded with our answers.
    """
    address = mail.sender
    digest = message_digest(mail)
    if db.session.scalar(
        select(HeldMail.id).where(HeldMail.address == address, HeldMail.message_digest == digest)
    ):
        return
    if held_count(address) >= HELD_PER_ADDRESS:
        raise MailRefused(
            _l(
                "%(count)s messages from this address are already waiting for an account to be made with it.",
                count=HELD_PER_ADDRESS,
            )
        )
    files = checked_content(mail)
    acknowledge = not _acknowledged_recently(address, mail)
    held = HeldMail(
        address=address,
        sender_name=mail.sender_name[:SENDER_NAME_MAX],
        subject=subject_of(mail),
        body=mail.text.strip(),
        message_digest=digest,
        received_at=mail.received_at,
    )
    db.session.add(held)
    db.session.flush()
    _keep_files(held, files)
    if acknowledge:
        _tell_sender_how_to_claim(held)


def held_count(address: str) -> int:
    """How many mails from ``address`` wait for an account."""
    return int(db.session.scalar(select(func.count()).where(HeldMail.address == address)) or 0)


def _acknowledged_recently(address: str, mail: InboundMail) -> bool:
    """Whether another mail from ``address`` came within the last day: its sender was told then."""
    since = mail.received_at - ACKNOWLEDGE_EVERY
    return bool(
        db.session.scalar(
            select(HeldMail.id).where(HeldMail.address == address, HeldMail.received_at > since).limit(1)
        )
    )


def _keep_files(held: HeldMail, files: list[FileStorage]) -> None:
    """Store the (already checked) files; each goes again if the transaction rolls back."""
    wanted = [TYPES_BY_NAME[name] for name in allowed_types()]
    max_bytes = int(get_setting("tickets", "attachment_max_mb")) * MEGABYTE
    for upload in files:
        stored = storage().save(
            upload.stream, prefix="tickets", filename_hint=upload.filename or "", max_bytes=max_bytes
        )
        discard_unless_committed(stored.key)
        mimetype = detect_type(upload.stream, wanted) or "application/octet-stream"
        db.session.add(
            HeldFile(
                held_mail_id=held.id,
                storage_key=stored.key,
                filename=upload.filename or "file",
                mimetype=mimetype,
                size=stored.size,
            )
        )


def _tell_sender_how_to_claim(held: HeldMail) -> None:
    send_mail(
        held.address,
        held.sender_name,
        "tickets/held_mail_received",
        _l("We have your message: %(subject)s", subject=held.subject[:120]),
        headers={"Auto-Submitted": "auto-replied"},
        held_subject=held.subject,
        address=held.address,
        link=external_url("auth.register"),
        keep_days=KEEP_DAYS,
    )


def release_for_confirmed_account(event: Event) -> None:
    """On ``core.email_verified``: the mail held for the address that account just confirmed."""
    user_id = event.payload.get("user_id")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is not None and user.email_verified and not user.is_staff:
        release(user)


def release(user: User) -> list[Ticket]:
    """Make every mail held for ``user``'s address a ticket of theirs, as of when the mail came.

    Only the address the account has now, and only once it is confirmed: a held mail for one address
    never reaches another account. The files move with the mail (the stored files are kept, not
    copied) and the held rows go.
    """
    if not user.email_verified:
        return []
    waiting = db.session.scalars(
        select(HeldMail).where(HeldMail.address == user.email).order_by(HeldMail.received_at, HeldMail.id)
    ).all()
    category = categories()[0]
    opened = []
    for held in waiting:
        ticket, message = service.open_ticket(
            user,
            subject=held.subject,
            body=held.body,
            category=category,
            priority="normal",
            request_token=held.message_digest,
            channel="email",
        )
        ticket.created_at = message.created_at = held.received_at
        for file in db.session.scalars(select(HeldFile).where(HeldFile.held_mail_id == held.id)):
            db.session.add(
                Attachment(
                    ticket_id=ticket.id,
                    message_id=message.id,
                    storage_key=file.storage_key,
                    filename=file.filename,
                    mimetype=file.mimetype,
                    size=file.size,
                    created_at=held.received_at,
                )
            )
        opened.append(ticket)
    ids = [held.id for held in waiting]
    if ids:
        db.session.execute(delete(HeldFile).where(HeldFile.held_mail_id.in_(ids)))
        db.session.execute(delete(HeldMail).where(HeldMail.id.in_(ids)))
    return opened


def sweep() -> None:
    """Remove held mail nobody claimed within ``KEEP_DAYS``, with its files (``portal tick``, daily)."""
    cutoff = utcnow() - timedelta(days=KEEP_DAYS)
    ids = list(
        db.session.scalars(
            select(HeldMail.id).where(HeldMail.received_at < cutoff).order_by(HeldMail.id).limit(SWEEP_BATCH)
        )
    )
    if not ids:
        return
    keys = db.session.scalars(select(HeldFile.storage_key).where(HeldFile.held_mail_id.in_(ids))).all()
    delete_after_commit(*keys)
    db.session.execute(delete(HeldFile).where(HeldFile.held_mail_id.in_(ids)))
    db.session.execute(delete(HeldMail).where(HeldMail.id.in_(ids)))
