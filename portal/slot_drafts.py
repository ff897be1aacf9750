"""A slot's form that posts elsewhere and comes back: who it is shown for, and what was typed.

A plugin's form in another plugin's page (loyalty's goodwill and surveys' follow-up in a ticket's
apology) posts to its own route, which redirects back to the page. When the form is refused, what
the person typed waits in their session, keyed by the form and the thing the page is about, until
the slot shows it again with the reason; a draft for another ticket stays for that ticket's page.
"""

from __future__ import annotations

from typing import Any

from flask import session
from flask_login import current_user

from portal.accounts.models import User
from portal.converters import ID_MAX
from portal.database import db


def staff_slot_customer(context: dict[str, Any], subject: str) -> tuple[User, int] | None:
    """The customer a staff page's slot is about and the id of its ``subject`` (``"ticket_id"``).

    ``None`` unless a member of staff is reading, the context names a customer account that still
    exists and a valid id: the slot then shows nothing rather than a form that cannot work.
    """
    customer_id, subject_id = context.get("customer_id"), context.get(subject)
    if not isinstance(customer_id, int) or not isinstance(subject_id, int) or not 0 < subject_id <= ID_MAX:
        return None
    if not getattr(current_user, "is_staff", False):
        return None
    customer = db.session.get(User, customer_id)
    if customer is None or customer.role != "customer":
        return None
    return customer, subject_id


def keep_slot_draft(form: str, subject_id: int, values: dict[str, Any]) -> None:
    """Keep a refused form's ``values`` (short strings, and the reason as ``error``) for its page."""
    session[form] = {**values, "subject_id": subject_id}


def take_slot_draft(form: str, subject_id: int) -> dict[str, Any] | None:
    """The refused form kept for this subject, once; one kept for another subject stays."""
    draft = session.get(form)
    if not isinstance(draft, dict) or draft.get("subject_id") != subject_id:
        return None
    session.pop(form, None)
    return draft
