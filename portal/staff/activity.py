"""The 360° history in words: a stored event, a notification or a sent mail as one readable entry.

A stored event is rebuilt as its type and asked what happened and where. It may outlive its
declaration (a plugin removed, a payload of an older shape) or belong to a plugin switched off; each
row then still reads, with the generic sentence or without a link, and a mistake in one plugin's
``describe`` costs that row its words, never the page. Notifications and mail are the core's own
rows and always read the same way; each entry says which channel it came through, in words.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from markupsafe import Markup

from portal.event_types import CORE, EventTypes, declared_events, generic_description
from portal.events import StoredEvent
from portal.notifications.models import Notification
from portal.plugin_info import plugin_infos
from portal.plugin_manager import plugin_host
from portal.sent_mail import SentMail
from portal.sentences import sentence

log = logging.getLogger(__name__)

# The channels of the history, as the filter names them in its query argument.
EVENTS = "events"
NOTIFICATIONS = "notifications"
EMAIL = "email"


@dataclass(frozen=True)
class Activity:
    """One entry of the history: when, what happened in words, the page about it, and through what.

    ``tag`` names the channel or the plugin that recorded the event, as text (never colour alone);
    ``state`` says what became of a message where the channel tells (read, delivered).
    """

    created_at: datetime
    words: Markup
    link: str | None
    channel: str = EVENTS
    tag: str = ""
    state: str | None = None


def event_tags() -> dict[str, str]:
    """The tag each event owner's entries carry: the plugin's name for people, "Account" for the core."""
    tags = {name: str(info.display_name) for name, info in plugin_infos().items()}
    tags[CORE] = _("Account")
    return tags


def in_words(
    stored: StoredEvent, types: EventTypes | None = None, tags: Mapping[str, str] | None = None
) -> Activity:
    """``stored`` as a sentence and a link, falling back to the generic sentence when it cannot be typed."""
    types = types or declared_events()
    tags = tags if tags is not None else event_tags()
    declared = types.declaration(stored.name)
    tag = tags.get(declared.owner, declared.owner) if declared is not None else _("Activity")
    fallback = Activity(
        created_at=stored.created_at, words=generic_description(stored.name), link=None, tag=tag
    )
    payload = stored.payload
    if not isinstance(payload, Mapping):
        return fallback
    event = types.rebuild(stored.name, payload)
    if event is None or declared is None:
        return fallback
    try:
        words = event.describe()
        shown = declared.owner == CORE or plugin_host().is_enabled(declared.owner)
        link = event.link() if shown else None
    except Exception:  # one plugin's mistake must not take the customer's page down
        log.exception("Could not put the stored event %s (#%s) into words", stored.name, stored.id)
        return fallback
    return Activity(created_at=stored.created_at, words=Markup.escape(words), link=link, tag=tag)


def notification_in_words(notification: Notification) -> Activity:
    """What the person was told in the portal, and whether they have read it (the bell tells)."""
    return Activity(
        created_at=notification.created_at,
        words=sentence(_("Told on the portal: %(title)s"), title=notification.title),
        link=notification.url,
        channel=NOTIFICATIONS,
        tag=_("Portal"),
        state=_("read") if notification.read_at is not None else _("not read yet"),
    )


def mail_in_words(mail: SentMail) -> Activity:
    """What the person was emailed, and whether the mail server took it; opens are not tracked."""
    return Activity(
        created_at=mail.created_at,
        words=sentence(_("Emailed: %(subject)s"), subject=mail.subject),
        link=None,
        channel=EMAIL,
        tag=_("Email"),
        state=_("delivered") if mail.delivered_at is not None else _("sent"),
    )
