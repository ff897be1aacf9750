"""The surveys plugin's tables, all named surveys_*."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import Model, localized, translations_column, utcnow

MIGRATIONS_FOLDER = Path(__file__).parent / "migrations"

TITLE_MAX = 200
INTRO_MAX = 1000
QUESTION_MAX = 500
HELP_MAX = 500
OPTIONS_MAX = 2000
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 2000

KINDS = ("nps", "csat", "rating", "single", "multiple", "yesno", "short_text", "long_text")
CHOICE_KINDS = ("single", "multiple")
TEXT_KINDS = ("short_text", "long_text")


class Survey(Model):
    """A survey: its questions, who is asked (a segment, or an event after a delay) and when it is open."""

    __tablename__ = "surveys_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    intro: Mapped[str] = mapped_column(String(INTRO_MAX), default="")
    template: Mapped[str | None] = mapped_column(String(30))
    # draft → published → closed
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    anonymous: Mapped[bool] = mapped_column(default=False, server_default=false())
    one_per_page: Mapped[bool] = mapped_column(default=False, server_default=false())
    audience_key: Mapped[str | None] = mapped_column(String(200))
    trigger_event: Mapped[str | None] = mapped_column(String(100), index=True)
    trigger_delay_hours: Mapped[int] = mapped_column(default=0)
    wait_days_override: Mapped[int | None] = mapped_column()
    opens_at: Mapped[datetime | None] = mapped_column()
    closes_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    translations: Mapped[dict[str, dict[str, str]] | None] = translations_column()

    def is_open(self, now: datetime) -> bool:
        if self.status != "published":
            return False
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)


class Question(Model):
    """One question of a survey, shown in ``position`` order."""

    __tablename__ = "surveys_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys_surveys.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(QUESTION_MAX))
    help: Mapped[str] = mapped_column(String(HELP_MAX), default="")
    required: Mapped[bool] = mapped_column(default=True)
    # Choices, one a line, for single and multiple choice.
    options: Mapped[str] = mapped_column(String(OPTIONS_MAX), default="")
    # The top of a "rating" scale (1..scale_max).
    scale_max: Mapped[int] = mapped_column(default=5)
    translations: Mapped[dict[str, dict[str, str]] | None] = translations_column()

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    def localized_options(self) -> list[str]:
        """The choices in the reader's language; answers store a choice's place, so a list of another
        length than the default one is never used (it would shift the answers)."""
        lines = [line.strip() for line in localized(self, "options").splitlines() if line.strip()]
        return lines if len(lines) == len(self.option_list) else self.option_list

    def bounds(self) -> tuple[int, int] | None:
        """The allowed numbers of the question, or None for free text."""
        if self.kind == "nps":
            return (0, 10)
        if self.kind == "csat":
            return (1, 5)
        if self.kind == "rating":
            return (1, self.scale_max)
        if self.kind == "yesno":
            return (0, 1)
        if self.kind in CHOICE_KINDS:
            return (0, len(self.option_list) - 1)
        return None


class Invitation(Model):
    """A customer asked to answer a survey: at most one per survey and customer."""

    __tablename__ = "surveys_invitations"
    __table_args__ = (UniqueConstraint("survey_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys_surveys.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), index=True)
    # What the survey is about, e.g. "ticket:12" for the CSAT after a ticket.
    subject: Mapped[str | None] = mapped_column(String(50))
    # pending (waiting for due_at) → sent → answered; or skipped (waiting period, opted out, rated).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column()
    reminders: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column()


class Response(Model):
    """One customer's answers to one survey: a draft until submitted.

    ``respondent`` is a keyed hash of survey and customer, unique per survey, so one response per
    customer holds under double submission; ``customer_id`` is kept only for surveys that are not
    anonymous, so staff can never link an anonymous answer to a person.
    """

    __tablename__ = "surveys_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "respondent"),
        Index("ix_surveys_responses_survey_id_submitted_at", "survey_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys_surveys.id", ondelete="CASCADE"))
    respondent: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_users.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str | None] = mapped_column(String(50), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()


class Answer(Model):
    """One answer value: a number (scale, yes = 1, option index) or a text; one row per option chosen.

    ``slot`` is 0, or the option's index for a multiple-choice question, so the database itself holds
    one answer per question (one per option chosen) whatever requests race to store them.
    """

    __tablename__ = "surveys_answers"
    __table_args__ = (
        Index("ix_surveys_answers_question_id_value", "question_id", "value"),
        UniqueConstraint("response_id", "question_id", "slot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("surveys_responses.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("surveys_questions.id", ondelete="CASCADE"))
    value: Mapped[int | None] = mapped_column()
    text: Mapped[str | None] = mapped_column(Text)
    slot: Mapped[int] = mapped_column(default=0, server_default="0")


class Contact(Model):
    """A question asked of a customer (an invitation sent, a ticket rated): the waiting period's clock."""

    __tablename__ = "surveys_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), index=True)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    subject: Mapped[str | None] = mapped_column(String(50))
    # The event that recorded it, so a delivery repeated records nothing twice.
    event_id: Mapped[int | None] = mapped_column(unique=True)


class OptOut(Model):
    """A customer who asked to be sent no surveys."""

    __tablename__ = "surveys_optouts"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("portal_users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


SALT_BYTES = 32


class RespondentSalt(Model):
    """A random value per account that keys its respondent keys, and dies with the account.

    A respondent key is a keyed hash of survey, account and this salt: it finds the customer's own
    response again while the account lives, and once the account is erased (the salt with it) no
    later account, even one given the same id, can compute it again.
    """

    __tablename__ = "surveys_respondent_salts"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("portal_users.id", ondelete="CASCADE"), primary_key=True
    )
    salt: Mapped[str] = mapped_column(String(2 * SALT_BYTES))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
