"""Surveys plugin: surveys, questions, invitations, responses, answers, contacts, opt-outs.

Revision ID: surveys_0001
Revises:
Created: 2026-11-24 02:53:30.512191
"""

import sqlalchemy as sa
from alembic import op

revision = "surveys_0001"
down_revision = None
branch_labels = ("surveys",)
depends_on = "core_0005"


def upgrade() -> None:
    op.create_table(
        "surveys_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("intro", sa.String(length=1000), nullable=False),
        sa.Column("template", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("one_per_page", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("audience_key", sa.String(length=200), nullable=True),
        sa.Column("trigger_event", sa.String(length=100), nullable=True),
        sa.Column("trigger_delay_hours", sa.Integer(), nullable=False),
        sa.Column("wait_days_override", sa.Integer(), nullable=True),
        sa.Column("opens_at", sa.DateTime(), nullable=True),
        sa.Column("closes_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_surveys")),
    )
    with op.batch_alter_table("surveys_surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_surveys_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_surveys_trigger_event"), ["trigger_event"], unique=False)

    op.create_table(
        "surveys_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("subject", sa.String(length=50), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["portal_users.id"],
            name=op.f("fk_surveys_contacts_customer_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_contacts")),
        sa.UniqueConstraint("event_id", name=op.f("uq_surveys_contacts_event_id")),
    )
    with op.batch_alter_table("surveys_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_contacts_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "surveys_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=50), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("last_reminded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["portal_users.id"],
            name=op.f("fk_surveys_invitations_customer_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys_surveys.id"],
            name=op.f("fk_surveys_invitations_survey_id_surveys_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_invitations")),
        sa.UniqueConstraint("survey_id", "customer_id", name=op.f("uq_surveys_invitations_survey_id")),
    )
    with op.batch_alter_table("surveys_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_invitations_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_invitations_due_at"), ["due_at"], unique=False)

    op.create_table(
        "surveys_optouts",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["portal_users.id"],
            name=op.f("fk_surveys_optouts_customer_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_surveys_optouts")),
    )
    op.create_table(
        "surveys_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("help", sa.String(length=500), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("options", sa.String(length=2000), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys_surveys.id"],
            name=op.f("fk_surveys_questions_survey_id_surveys_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_questions")),
    )
    with op.batch_alter_table("surveys_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_questions_survey_id"), ["survey_id"], unique=False)

    op.create_table(
        "surveys_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("respondent", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=50), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["portal_users.id"],
            name=op.f("fk_surveys_responses_customer_id_portal_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys_surveys.id"],
            name=op.f("fk_surveys_responses_survey_id_surveys_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_responses")),
        sa.UniqueConstraint("survey_id", "respondent", name=op.f("uq_surveys_responses_survey_id")),
    )
    with op.batch_alter_table("surveys_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_responses_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_responses_subject"), ["subject"], unique=False)
        batch_op.create_index(
            "ix_surveys_responses_survey_id_submitted_at", ["survey_id", "submitted_at"], unique=False
        )

    op.create_table(
        "surveys_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["surveys_questions.id"],
            name=op.f("fk_surveys_answers_question_id_surveys_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["surveys_responses.id"],
            name=op.f("fk_surveys_answers_response_id_surveys_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys_answers")),
    )
    with op.batch_alter_table("surveys_answers", schema=None) as batch_op:
        batch_op.create_index("ix_surveys_answers_question_id_value", ["question_id", "value"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_answers_response_id"), ["response_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("surveys_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_answers_response_id"))
        batch_op.drop_index("ix_surveys_answers_question_id_value")

    op.drop_table("surveys_answers")
    with op.batch_alter_table("surveys_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_surveys_responses_survey_id_submitted_at")
        batch_op.drop_index(batch_op.f("ix_surveys_responses_subject"))
        batch_op.drop_index(batch_op.f("ix_surveys_responses_customer_id"))

    op.drop_table("surveys_responses")
    with op.batch_alter_table("surveys_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_questions_survey_id"))

    op.drop_table("surveys_questions")
    op.drop_table("surveys_optouts")
    with op.batch_alter_table("surveys_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_invitations_due_at"))
        batch_op.drop_index(batch_op.f("ix_surveys_invitations_customer_id"))

    op.drop_table("surveys_invitations")
    with op.batch_alter_table("surveys_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_contacts_customer_id"))

    op.drop_table("surveys_contacts")
    with op.batch_alter_table("surveys_surveys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_surveys_trigger_event"))
        batch_op.drop_index(batch_op.f("ix_surveys_surveys_status"))

    op.drop_table("surveys_surveys")
