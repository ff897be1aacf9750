"""The words a customer reads for why their points changed, in their language.

A ledger entry stores its reason as the portal's source text ("Welcome points", "Purchase 1234"),
the same in every language, because the entry is written once and read by people in many languages.
This module turns the reasons the portal itself writes into the reader's language when they are
shown; a reason an administrator or agent typed is shown as they wrote it.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.plugin import declared_events, event_label

# Reasons written by the portal: the demo data, expiry, and the earning rules it ships with.
BUILT_IN_REASONS = {
    "Welcome points": _l("Welcome points"),
    "Points expired": _l("Points expired"),
    "Purchase": _l("Purchase"),
    "Rated a support ticket": _l("Rated a support ticket"),
    "Completed a survey": _l("Completed a survey"),
    "Verified an email address": _l("Verified an email address"),
    "Joined the portal": _l("Joined the portal"),
}
PURCHASE_PREFIX = "Purchase "
# Points an earning rule paid without a reason of its own: the event, named when shown.
EVENT_PREFIX = "event:"
CANCELLED_PREFIX = "Cancelled voucher "


def event_reason(event_name: str) -> str:
    """The stored reason for points paid on ``event_name``: a key, so each reader gets its label."""
    return f"{EVENT_PREFIX}{event_name}"


def reason_label(reason: str) -> str:
    """``reason`` in the reader's language if the portal wrote it, else exactly as a person typed it."""
    if reason in BUILT_IN_REASONS:
        return str(BUILT_IN_REASONS[reason])
    if reason.startswith(EVENT_PREFIX):
        declared = declared_events().declaration(reason.removeprefix(EVENT_PREFIX))
        return str(event_label(declared.event_type)) if declared else reason.removeprefix(EVENT_PREFIX)
    if reason.startswith(PURCHASE_PREFIX):
        return _("Purchase %(reference)s", reference=reason.removeprefix(PURCHASE_PREFIX))
    if reason.startswith(CANCELLED_PREFIX):
        return _("Cancelled voucher %(code)s", code=reason.removeprefix(CANCELLED_PREFIX))
    return reason
