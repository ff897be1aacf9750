"""The example plugin's one table. Its name starts with the plugin's name, like every plugin table."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.plugin import db, utcnow

BODY_MAX = 500
# The Alembic branch "example" that creates the tables below; the core runs it with its own revisions.
MIGRATIONS_FOLDER = Path(__file__).parent / "migrations"


class Note(db.Model):
    """A short note a customer keeps; it belongs to one account and goes when the account goes."""

    __tablename__ = "example_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(String(BODY_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Shared with the organization: its managers may read it (example_0003, shared_notes.py).
    shared: Mapped[bool] = mapped_column(default=False, server_default=false())
