"""Telling a person something: the kinds that exist, ``notify``, reading and marking, and the email.

``notify`` is the one way in, for the core and plugins alike. It adds the notification to the
caller's transaction; the email goes out only once that transaction commits, so a rollback leaves
neither a row nor a message behind.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update

from portal.contributions import NOTIFICATION_AUDIENCES, NotificationType
from portal.database import db, read_prepared, utcnow
from portal.dates import force_calendar, force_zone
from portal.mail import MailAttachment, MailAttachmentError, check_attachments, send_mail
from portal.notifications.models import (
    BODY_MAX,
    KIND_MAX,
    TITLE_MAX,
    URL_MAX,
    Notification,
    NotificationPreference,
)
from portal.paging import Page, keyset_page
from portal.plugin_manager import PluginError, plugin_host
from portal.unit_of_work import remembered
from portal.urls import external_url, local_path

if TYPE_CHECKING:
    from flask_babel import LazyString

    from portal.accounts.models import User

log = logging.getLogger(__name__)

CORE_OWNER = "core"
# The core's own kinds, declared exactly as a plugin declares its kinds through the hook.
CORE_NOTIFICATION_TYPES = [
    NotificationType(
        kind="core.account",
        label=_l("Account notices"),
        description=_l("Important news about your account, such as a change our staff made to it."),
    ),
    NotificationType(
        kind="core.webhooks",
        label=_l("Webhook notices"),
        description=_l("A webhook switched off because its receiver kept failing."),
        audience="staff",
    ),
    NotificationType(
        kind="core.approvals",
        label=_l("Approvals"),
        description=_l("A request waits for an administrator's decision, or a request of yours was decided."),
        audience="staff",
    ),
]
KIND_PATTERN = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)+")
PAGE_SIZE = 20
ACTIONS_MAX = 6
ACTION_LABEL_MAX = 80
ACTION_URL_MAX = 1000


class NotificationError(ValueError):
    """``notify`` was given something it must not store; the message says what and how to fix it."""


# --- The kinds of notification ------------------------------------------------------------------


def declared_types() -> dict[str, NotificationType]:
    """Every kind a person can be told about right now: the core's, then each enabled plugin's.

    A switched-off plugin's kinds are left out, so its notifications can be neither sent nor chosen.
    A kind must be named ``<owner>.<what>`` after the plugin (or ``core``) that declares it, so two
    plugins cannot claim the same kind; a plugin breaking that rule fails loudly. Collected once per
    unit of work and set of enabled plugins, since ``notify`` asks for every notification it makes.
    """
    enabled = plugin_host().enabled()
    return dict(remembered(("portal_notification_types", enabled), _collect_types))


def _collect_types() -> dict[str, NotificationType]:
    answers = [(CORE_OWNER, CORE_NOTIFICATION_TYPES)]
    answers += plugin_host().call_each("portal_notification_types")
    found: dict[str, NotificationType] = {}
    for owner, types in answers:
        for declared in types:
            _check_declaration(owner, declared, found)
            found[declared.kind] = declared
    return found


def _check_declaration(owner: str, declared: object, found: dict[str, NotificationType]) -> None:
    if not isinstance(declared, NotificationType):
        raise PluginError(
            f"Plugin {owner!r} returned {declared!r} from portal_notification_types; "
            "return a list of portal.plugin.NotificationType."
        )
    kind = declared.kind
    if not KIND_PATTERN.fullmatch(kind) or len(kind) > KIND_MAX or not kind.startswith(owner + "."):
        raise PluginError(
            f"{owner!r} declares the notification kind {kind!r}; a kind is '{owner}.<what>' in lowercase "
            f"letters, digits and underscores, at most {KIND_MAX} characters."
        )
    if kind in found:
        raise PluginError(f"The notification kind {kind!r} is declared twice.")
    if declared.audience not in NOTIFICATION_AUDIENCES:
        raise PluginError(
            f"{owner!r} declares the notification kind {kind!r} for the audience {declared.audience!r}; "
            f"use one of {', '.join(NOTIFICATION_AUDIENCES)}."
        )


def is_offered_to(user: User, declared: NotificationType) -> bool:
    """Whether ``user`` may be sent, and choose, this kind: the core's customer kinds concern every
    account; staff kinds (the core's or a plugin's) only agents and administrators; a plugin's customer
    kinds only customers."""
    if declared.kind.startswith(CORE_OWNER + ".") and declared.audience == "customer":
        return True
    return declared.audience == ("staff" if user.is_staff else "customer")


def offered_types(user: User) -> dict[str, NotificationType]:
    """The kinds on ``user``'s email preferences page: declared now, and meant for someone like them."""
    return {kind: declared for kind, declared in declared_types().items() if is_offered_to(user, declared)}


# --- Creating one ---------------------------------------------------------------------------------


def notify(
    user: User,
    kind: str,
    title: str | LazyString,
    body: str | LazyString = "",
    url: str | None = None,
    attachments: Sequence[MailAttachment] = (),
    reply_to: str | None = None,
    actions: Sequence[tuple[str | LazyString, str]] = (),
) -> Notification:
    """Tell ``user`` that something happened: in the portal always, by email if they want that kind.

    The notification joins the caller's transaction (the session is flushed so it has an id); the
    caller commits. Lazy translations (``lazy_gettext``) for ``title`` and ``body`` are stored in the
    recipient's language, zone and calendar, not those of whoever caused the notification (format a
    date for them with ``format_datetime(..., user=user)``), and so is the email. ``url`` is a path
    inside the portal (``/tickets/12``) that opening the notification leads to. ``attachments``
    (an .ics invitation, a PDF) go with the email only; the notification in the portal is the same
    with or without them, and a person who chose no email for this kind gets none. ``reply_to`` goes in
    the email's Reply-To (a ``reply_address`` lets the person answer by email). ``actions`` are
    (label, absolute URL) pairs the email shows as buttons under the text (rate 1 to 5 from the mail),
    labels in the recipient's language; the notification in the portal links to ``url`` only. Anything wrong,
    an undeclared ``kind``, a staff kind for a customer, an overlong or empty title, a link elsewhere,
    too many or too large attachments, raises NotificationError: nothing is cut short or dropped silently.
    """
    declared = declared_types().get(kind)
    if declared is None:
        raise NotificationError(
            f"No enabled plugin declares the notification kind {kind!r}. Declare it in the plugin's "
            f"portal_notification_types hook, or check the spelling; declared now: "
            f"{', '.join(sorted(declared_types())) or 'none'}."
        )
    if declared.audience == "staff" and not user.is_staff:
        raise NotificationError(
            f"The notification kind {kind!r} is for staff, and account {user.id} is a customer's: "
            "choose the recipients among agents and administrators."
        )
    with force_locale(user.language), force_zone(user.timezone), force_calendar(user.calendar):
        title_text, body_text = str(title), str(body)
        action_links = [(str(label), link) for label, link in actions]
    if not title_text.strip():
        raise NotificationError("A notification needs a title: say in a few words what happened.")
    _check_length("title", title_text, TITLE_MAX)
    _check_length("body", body_text, BODY_MAX)
    _check_actions(action_links)
    if url is not None:
        _check_local_path(url)
    try:
        check_attachments(attachments)
    except MailAttachmentError as error:
        raise NotificationError(str(error)) from None
    notification = Notification(user=user, kind=kind, title=title_text, body=body_text, url=url)
    db.session.add(notification)
    db.session.flush()
    if wants_email(user, declared):
        _queue_email(notification, attachments, reply_to, action_links)
    return notification


def _check_length(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise NotificationError(
            f"The notification's {name} has {len(value)} characters; at most {limit} fit. "
            "Shorten it and put the detail on the page the notification links to."
        )


def _check_actions(actions: Sequence[tuple[str, str]]) -> None:
    """A few buttons at most, each with a label and an absolute http(s) link (a mail has no "here")."""
    if len(actions) > ACTIONS_MAX:
        raise NotificationError(
            f"A notification's email shows at most {ACTIONS_MAX} actions, not {len(actions)}."
        )
    for label, link in actions:
        if not label.strip():
            raise NotificationError("Each action of a notification needs a label.")
        _check_length("action label", label, ACTION_LABEL_MAX)
        if not link.startswith(("https://", "http://")) or len(link) > ACTION_URL_MAX:
            raise NotificationError(
                f"An action's link must be an absolute http(s) URL (external_url) of at most "
                f"{ACTION_URL_MAX} characters, not {link[:80]!r}."
            )


def _check_local_path(url: str) -> None:
    """Only a path on this portal: no other site, and nothing a browser would read as another site.

    ``portal.urls.local_path`` says what that excludes and why.
    """
    _check_length("url", url, URL_MAX)
    if local_path(url) is None:
        raise NotificationError(
            f"A notification's url must be a path inside the portal such as '/tickets/12', not {url!r}."
        )


# --- Email preferences ----------------------------------------------------------------------------


def wants_email(user: User, declared: NotificationType) -> bool:
    """Whether ``user`` gets this kind by email: their own choice if they made one, else the default."""
    choice = db.session.get(NotificationPreference, (user.id, declared.kind))
    return declared.email_by_default if choice is None else choice.email


def email_choices(user_id: int, types: dict[str, NotificationType]) -> dict[str, bool]:
    """The account's email choice for each of ``types``, for the preferences page (one query)."""
    query = select(NotificationPreference.kind, NotificationPreference.email).where(
        NotificationPreference.user_id == user_id
    )
    chosen = dict(db.session.execute(query).tuples().all())
    return {kind: chosen.get(kind, declared.email_by_default) for kind, declared in types.items()}


def save_email_choices(user_id: int, kinds: list[str], emailed: set[str]) -> None:
    """Record the person's choice for every kind they were shown, so a later default never overrides it.

    Kinds of switched-off plugins are not shown and keep whatever was chosen before.
    """
    for kind in kinds:
        choice = db.session.get(NotificationPreference, (user_id, kind))
        if choice is None:
            db.session.add(NotificationPreference(user_id=user_id, kind=kind, email=kind in emailed))
        else:
            choice.email = kind in emailed


# --- Reading and marking, always for one account --------------------------------------------------


def notifications_page(user_id: int, cursor: str | None = None) -> Page:
    """The account's notifications, newest first, the page at ``cursor`` (the newest when ``None``).

    Keyset pagination: a new notification arriving while someone pages does not shift the pages.
    """
    query = select(Notification).where(Notification.user_id == user_id)
    return keyset_page(query, [Notification.id], cursor=cursor, size=PAGE_SIZE, descending=True)


def find_own(user_id: int, notification_id: int) -> Notification | None:
    """The notification if it belongs to the account; another person's is as good as missing."""
    return db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
    )


def mark_read(notification: Notification) -> None:
    """Mark it read, keeping the first time it was read."""
    if notification.read_at is None:
        notification.read_at = utcnow()


def mark_all_read(user_id: int) -> None:
    """Mark every unread notification of the account read, in one statement."""
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


_UNREAD = Notification.__table__.c
_UNREAD_COUNT = select(func.count()).where(_UNREAD.user_id == bindparam("user_id"), _UNREAD.read_at.is_(None))


def unread_count(user_id: int) -> int:
    """How many of the account's notifications are unread: the number on the bell."""
    return read_prepared(_UNREAD_COUNT, user_id=user_id).scalar_one()


def unread_counter(user: User | None) -> Callable[[], int]:
    """The bell's count for templates, counted once per render and only when a template asks.

    Every template render runs the context processors (mails and htmx fragments too), so the count is
    a function the bell calls rather than a query made up front; a visitor has no bell and no query.
    """
    counted: list[int] = []

    def count() -> int:
        if user is None:
            return 0
        if not counted:
            counted.append(unread_count(user.id))
        return counted[0]

    return count


# --- The email, sent once the transaction commits -------------------------------------------------


def _queue_email(
    notification: Notification,
    attachments: Sequence[MailAttachment] = (),
    reply_to: str | None = None,
    actions: Sequence[tuple[str, str]] = (),
) -> None:
    """Email the notification through the mail job, queued in the caller's transaction.

    A rollback removes the job with the notification, so neither is left behind; a failing mail
    server is retried by the job and never turns into an error for whoever caused the notification.
    The link goes through the notification, so following it marks it read.
    """
    user = notification.user
    send_mail(
        user.email,
        user.name,
        "notification",
        notification.title,
        user.language,
        timezone=user.timezone,
        calendar=user.calendar,
        attachments=attachments,
        reply_to=reply_to,
        title=notification.title,
        body=notification.body,
        actions=list(actions),
        link=external_url("notifications.open_notification", notification_id=notification.id),
        preferences_link=external_url("notifications.preferences"),
    )
