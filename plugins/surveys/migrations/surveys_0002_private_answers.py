"""Surveys plugin: one answer per question held by the database, salted respondent keys, private invitations.

- ``surveys_answers.slot`` and a unique (response_id, question_id, slot): an answer cannot be stored
  twice by requests that race. Duplicates stored before are removed, keeping the first.
- ``surveys_respondent_salts``: a random value per account that dies with it. Accounts that exist
  now get an empty salt, which keeps the keys their responses already carry; a new account (even
  one given an erased account's id) gets a random one.
- Invitations to anonymous surveys no longer say whether they were answered.

Revision ID: surveys_0002
Revises: surveys_0001
Created: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "surveys_0002"
down_revision = "surveys_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("surveys_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slot", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        "UPDATE surveys_answers SET slot = value WHERE value IS NOT NULL AND question_id IN "
        "(SELECT id FROM surveys_questions WHERE kind = 'multiple')"
    )
    op.execute(
        "DELETE FROM surveys_answers WHERE id NOT IN "
        "(SELECT MIN(id) FROM surveys_answers GROUP BY response_id, question_id, slot)"
    )
    with op.batch_alter_table("surveys_answers", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_surveys_answers_response_id"), ["response_id", "question_id", "slot"]
        )

    op.create_table(
        "surveys_respondent_salts",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["portal_users.id"],
            name=op.f("fk_surveys_respondent_salts_customer_id_portal_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_surveys_respondent_salts")),
    )
    op.execute(
        "INSERT INTO surveys_respondent_salts (customer_id, salt, created_at) "
        "SELECT id, '', CURRENT_TIMESTAMP FROM portal_users"
    )
    op.execute(
        "UPDATE surveys_invitations SET status = 'sent' WHERE status = 'answered' AND survey_id IN "
        "(SELECT id FROM surveys_surveys WHERE anonymous)"
    )


def downgrade() -> None:
    op.drop_table("surveys_respondent_salts")
    with op.batch_alter_table("surveys_answers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_surveys_answers_response_id"), type_="unique")
        batch_op.drop_column("slot")
