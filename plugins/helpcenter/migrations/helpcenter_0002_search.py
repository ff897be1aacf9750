"""Help center plugin: the full-text index over the search entries, in each database's own kind.

SQLite gets an FTS5 table that reads its text from ``helpcenter_search_entries`` and is kept in step
by triggers; PostgreSQL gets GIN indexes over the weighted text vector and over the titles alone,
which ``plugins.helpcenter.search`` queries with the very same expressions.

Revision ID: helpcenter_0002
Revises: helpcenter_0001
Created: 2026-12-05 19:05:00
"""

from alembic import op

revision = "helpcenter_0002"
down_revision = "helpcenter_0001"
branch_labels = None
depends_on = None

PG_INDEXES = (
    """
    CREATE INDEX ix_helpcenter_search_entries_text ON helpcenter_search_entries USING gin (
        (setweight(to_tsvector('simple'::regconfig, title), 'A') ||
         setweight(to_tsvector('simple'::regconfig, body), 'D'))
    )
    """,
    """
    CREATE INDEX ix_helpcenter_search_entries_title ON helpcenter_search_entries USING gin (
        to_tsvector('simple'::regconfig, title)
    )
    """,
)

SQLITE_STATEMENTS = (
    """
    CREATE VIRTUAL TABLE helpcenter_search_fts USING fts5(
        title, body, content='helpcenter_search_entries', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0'
    )
    """,
    """
    CREATE TRIGGER helpcenter_search_entries_ai AFTER INSERT ON helpcenter_search_entries BEGIN
        INSERT INTO helpcenter_search_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
    END
    """,
    """
    CREATE TRIGGER helpcenter_search_entries_ad AFTER DELETE ON helpcenter_search_entries BEGIN
        INSERT INTO helpcenter_search_fts (helpcenter_search_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END
    """,
    """
    CREATE TRIGGER helpcenter_search_entries_au AFTER UPDATE ON helpcenter_search_entries BEGIN
        INSERT INTO helpcenter_search_fts (helpcenter_search_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO helpcenter_search_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
    END
    """,
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_INDEXES:
            op.execute(statement)
    else:
        for statement in SQLITE_STATEMENTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_helpcenter_search_entries_text")
        op.execute("DROP INDEX ix_helpcenter_search_entries_title")
    else:
        for name in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER helpcenter_search_entries_{name}")
        op.execute("DROP TABLE helpcenter_search_fts")
