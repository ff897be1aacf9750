"""Respondent keys: how a response is tied to a customer without naming them in anonymous surveys.

A response carries a keyed hash of (survey, customer, the account's own salt) instead of the
customer's id, so staff cannot tell who answered an anonymous survey while the customer can still
find, continue and be spared reminders for their own. Erasing the account erases its salt, and
with it every link from its anonymous answers back to it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import delete, select

from portal.plugin import db, utcnow

from .models import RespondentSalt, Response
from .sql import insert_new_only


def _salt_of(customer_id: int) -> str | None:
    return db.session.scalar(select(RespondentSalt.salt).where(RespondentSalt.customer_id == customer_id))


def _salt_made_for(customer_id: int) -> str:
    """The account's salt, made on first use; two first uses at once keep the same one."""
    salt = _salt_of(customer_id)
    if salt is None:
        db.session.execute(
            insert_new_only(RespondentSalt).values(
                customer_id=customer_id, salt=secrets.token_hex(32), created_at=utcnow()
            )
        )
        salt = _salt_of(customer_id)
        assert salt is not None
    return salt


def _key(survey_id: int, customer_id: int, salt: str) -> str:
    # An empty salt is an account from before salts existed: its responses carry the unsalted key.
    message = f"surveys:{survey_id}:{customer_id}" + (f":{salt}" if salt else "")
    secret = str(current_app.secret_key).encode()
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def key_for(survey_id: int, customer_id: int, salt: str) -> str:
    """The respondent key for a salt the caller holds already, so a bulk writer (``portal seed``)
    makes the keys the answering code finds, without a query per response."""
    return _key(survey_id, customer_id, salt)


def respondent_key(survey_id: int, customer_id: int) -> str:
    """A keyed hash standing for the customer in the survey: unique, but not an identity.

    It is keyed with the app's secret and the account's own random salt, which is erased with the
    account: a later account given the same id (SQLite reuses the highest id) gets another salt, so
    it can never find, continue or read an erased account's anonymous draft.
    """
    return _key(survey_id, customer_id, _salt_made_for(customer_id))


def respondent_keys(customer_id: int, survey_ids: list[int]) -> dict[str, int]:
    """The customer's keys in these surveys, mapped to the survey; none for an account with no salt yet."""
    salt = _salt_of(customer_id)
    if salt is None:
        return {}
    return {_key(survey_id, customer_id, salt): survey_id for survey_id in survey_ids}


def answered_anonymously(customer_id: int, survey_ids: list[int]) -> set[int]:
    """Which of these anonymous surveys the customer has answered, found through their own keys.

    An anonymous survey's invitation never records an answer (staff would see it); the customer's
    list, tile and reminders ask here instead.
    """
    keys = respondent_keys(customer_id, survey_ids)
    if not keys:
        return set()
    found = db.session.scalars(
        select(Response.respondent).where(
            Response.survey_id.in_(survey_ids),
            Response.respondent.in_(list(keys)),
            Response.submitted_at.is_not(None),
        )
    )
    return {keys[respondent] for respondent in found}


def erase_respondent(customer_id: int) -> None:
    """Remove the customer's unsubmitted drafts, anonymous ones too, then the salt that found them.

    Submitted anonymous answers stay for the results; without the salt nobody can link them to
    anyone any more.
    """
    drafted = list(
        db.session.scalars(select(Response.survey_id).where(Response.submitted_at.is_(None)).distinct())
    )
    keys = respondent_keys(customer_id, drafted)
    if keys:
        db.session.execute(
            delete(Response).where(
                Response.survey_id.in_(drafted),
                Response.respondent.in_(list(keys)),
                Response.submitted_at.is_(None),
            )
        )
    db.session.execute(delete(RespondentSalt).where(RespondentSalt.customer_id == customer_id))
