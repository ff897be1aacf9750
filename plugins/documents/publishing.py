"""Publishing: new documents and versions, publish and unpublish, and telling the audience."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.plugin import (
    FileTooLargeError,
    NotificationError,
    User,
    clean_download_name,
    db,
    discard_unless_committed,
    enqueue,
    get_setting,
    localized,
    notify,
    record_audit_event,
    rows_matched,
    segment_member_ids,
    storage,
    task,
    utcnow,
)

from . import events, filetypes, links
from .models import Document, Notice, Version

NOTIFY_TASK = "documents.notify_audience"


class UploadRefusedError(Exception):
    """An upload we refuse; the message is for the person who sent it."""


def audience_label(document: Document) -> str:
    if document.audience_customer_id is not None:
        return f"customer:{document.audience_customer_id}"
    return document.audience_key or ""


def store_upload(upload, document: Document, actor_id: int) -> Version:
    """Check the file by its content, keep it under a generated key and add it as the newest version.

    The file is written first, outside any lock, and goes again if the transaction rolls back. The
    number is then taken while holding the document: see ``_next_version_number``.
    """
    mimetype = filetypes.detect(upload.stream)
    if mimetype is None:
        raise UploadRefusedError(
            str(_l("This kind of file cannot be published. Use PDF, PNG, JPEG, plain text, DOCX or XLSX."))
        )
    limit_mb = int(get_setting("documents", "max_upload_mb"))
    try:
        stored = storage().save(
            upload.stream,
            prefix="documents",
            filename_hint=upload.filename or "",
            max_bytes=limit_mb * 1024 * 1024,
        )
    except FileTooLargeError as error:
        raise UploadRefusedError(str(error)) from error
    discard_unless_committed(stored.key)
    number = _next_version_number(document)
    # The core's cleaning: no control character, bidi override or path separator reaches a header or a
    # page, while every letter stays (Persian's zero-width non-joiner included).
    name = clean_download_name(upload.filename or f"document-{document.id}")
    version = Version(
        document_id=document.id,
        number=number,
        storage_key=stored.key,
        filename=name,
        mimetype=mimetype,
        size=stored.size,
        sha256=stored.sha256,
        created_by=actor_id,
    )
    db.session.add(version)
    db.session.flush()
    return version


def _next_version_number(document: Document) -> int:
    """The number the next version of ``document`` gets, held for this transaction until it ends.

    Reading the highest number and adding one is only safe while nobody else adds a version in
    between, so a no-op conditional UPDATE of the document's row comes first: PostgreSQL holds that
    row's lock, and SQLite the database's write lock, until the commit. Uploads sent at once wait
    here in turn and each gets the next number; the unique (document_id, number) constraint stays
    as the backstop for any writer that skips this.
    """
    db.session.execute(
        update(Document)
        .where(Document.id == document.id)
        .values(id=Document.id)
        .execution_options(synchronize_session=False)
    )
    highest = db.session.scalar(select(func.max(Version.number)).where(Version.document_id == document.id))
    return (highest or 0) + 1


def publish(document: Document, actor: User) -> bool:
    """Make the document visible, record the event and queue the audience's notifications.

    One conditional UPDATE decides: of two clicks at once only the one that changed the row records
    and tells anything. Returns whether this call published it.
    """
    changed = rows_matched(
        update(Document)
        .where(Document.id == document.id, Document.published.is_(False))
        .values(published=True, published_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(document)
    if changed != 1:
        return False
    version = db.session.scalar(
        select(Version.id).where(Version.document_id == document.id).order_by(Version.id.desc()).limit(1)
    )
    events.published(document.id, version, audience_label(document), document.audience_customer_id, actor.id)
    record_audit_event(
        "documents.published", actor.id, document_id=document.id, audience=audience_label(document)
    )
    enqueue(NOTIFY_TASK, document_id=document.id)
    return True


def unpublish(document: Document, actor: User) -> bool:
    """Hide the document from its audience at once; the audit log keeps who did it, once."""
    changed = rows_matched(
        update(Document)
        .where(Document.id == document.id, Document.published.is_(True))
        .values(published=False)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(document)
    if changed != 1:
        return False
    record_audit_event("documents.unpublished", actor.id, document_id=document.id)
    return True


def audience_ids(document: Document):
    """A select of the customer ids the document is addressed to."""
    if document.audience_customer_id is not None:
        return select(User.id).where(User.id == document.audience_customer_id, User.role == "customer")
    return segment_member_ids(document.audience_key or "")


@task(NOTIFY_TASK, max_attempts=3)
def notify_audience(document_id: int) -> None:
    """Tell each customer in the audience once, with a signed link; safe to run again."""
    document = db.session.get(Document, document_id)
    if document is None or not document.published:
        return
    told = select(Notice.user_id).where(Notice.document_id == document_id)
    recipients = db.session.scalars(
        select(User).where(User.id.in_(audience_ids(document)), User.id.not_in(told)).order_by(User.id)
    ).all()
    for user in recipients:
        token = links.make_token(document.id, user.id)
        try:  # the notice is claimed with the notification: a run beside this one tells nobody twice
            with db.session.begin_nested():
                db.session.add(Notice(document_id=document_id, user_id=user.id))
                db.session.flush()
                notify(
                    user,
                    "documents.published",
                    title=_l(
                        "New document: %(title)s", title=localized(document, "title", user.language)[:150]
                    ),
                    body=localized(document, "description", user.language)[:300],
                    url=f"/documents/open/{token}",
                )
        except IntegrityError:
            continue
        except NotificationError:
            return  # the plugin was switched off meanwhile: nothing may be sent
    db.session.commit()
