"""Full-text search over articles: one interface, FTS5 on SQLite and a GIN index on PostgreSQL.

Each article has one ``SearchEntry`` per language it is written in, holding its title and body in the
normal form of ``search_text``; both databases index those entries (the ``helpcenter_0002``
migration). A query matches an article when any of its words, or a longer word it begins, appears in
any language's entry; the title weighs more than the body. Who may read what is a condition the
caller passes (``access.visible_condition``), applied in the same query, so a result never leaks an
article and a page costs two queries whatever the size of the help center.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Float, Integer, delete, select, text

from portal.plugin import db

from .models import Article, SearchEntry
from .search_text import PREFIX_FROM, index_text, query_words

RESULTS_MAX = 50
# The best-ranked entries kept before grouping by article and applying who may read what. Ranking
# every match of a common word at 10,000 articles costs more than a page may; a reader kept from
# all of the best 500 entries sees fewer results, never someone else's.
CANDIDATES = 500
EXCERPT_LENGTH = 180
EXCERPT_SCAN = 20_000  # the part of a body looked through for the excerpt

# The indexed expressions of the PostgreSQL migration, repeated exactly so the planner uses the indexes.
_PG_VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, e.title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, e.body), 'D'))"
)
_PG_TITLE_VECTOR = "to_tsvector('simple'::regconfig, e.title)"


def index_article(article: Article) -> None:
    """Store the article's text in every language it has, replacing what the index held before."""
    db.session.execute(delete(SearchEntry).where(SearchEntry.article_id == article.id))
    texts = {"": (article.title, article.body)}
    for language, fields in (article.translations or {}).items():
        title, body = fields.get("title", ""), fields.get("body", "")
        if title or body:
            texts[language] = (title, body)
    for language, (title, body) in texts.items():
        db.session.add(
            SearchEntry(
                article_id=article.id, language=language, title=index_text(title), body=index_text(body)
            )
        )
    db.session.flush()


def search_articles(
    term: str,
    visible: ColumnElement[bool],
    *,
    limit: int = 20,
    category_id: int | None = None,
    exclude_id: int | None = None,
    titles_only: bool = False,
) -> list[Article]:
    """The articles matching ``term`` that pass ``visible``, best first; none for a term of no words.

    ``titles_only`` looks at titles alone: what "related articles" needs, at a fraction of the cost.
    """
    words = query_words(term)
    if not words:
        return []
    ranked = _ranked(words, titles_only=titles_only).subquery()
    query = (
        select(Article)
        .join(ranked, ranked.c.article_id == Article.id)
        .where(visible)
        .order_by(ranked.c.rank.desc(), Article.id.desc())
        .limit(min(limit, RESULTS_MAX))
    )
    if category_id is not None:
        query = query.where(Article.category_id == category_id)
    if exclude_id is not None:
        query = query.where(Article.id != exclude_id)
    return list(db.session.scalars(query))


def related_articles(article: Article, visible: ColumnElement[bool], *, limit: int = 5) -> list[Article]:
    """Other articles about what this one's title is about, for "Related articles"."""
    return search_articles(article.title, visible, limit=limit, exclude_id=article.id, titles_only=True)


def excerpt(body: str, term: str) -> str:
    """A line of ``body`` around the first word of ``term`` it contains, or its opening when none does.

    Only the query is normalised: the body is merely case-folded, which keeps this cheap on a page
    of long articles; a word spelled differently in the body just shows the opening instead.
    """
    plain = " ".join(re.sub(r"[#*_`>\[\]()|]+", " ", body[:EXCERPT_SCAN]).split())
    folded = plain.casefold()
    start = 0
    for word in query_words(term):
        found = folded.find(word)
        if found >= 0:
            start = max(0, found - EXCERPT_LENGTH // 3)
            break
    window = plain[start : start + EXCERPT_LENGTH]
    return ("…" if start else "") + window + ("…" if start + EXCERPT_LENGTH < len(plain) else "")


def _ranked(words: Sequence[str], *, titles_only: bool):
    """``article_id`` and ``rank`` (higher is better) of the best articles matching any of ``words``."""
    if db.session.get_bind().dialect.name == "postgresql":
        query = " | ".join(f"'{word}':*" if len(word) >= PREFIX_FROM else f"'{word}'" for word in words)
        vector = _PG_TITLE_VECTOR if titles_only else _PG_VECTOR
        statement = text(
            "SELECT m.article_id AS article_id, max(m.score) AS rank FROM ("  # noqa: S608
            f"SELECT e.article_id, ts_rank({vector}, q.query) AS score "
            "FROM helpcenter_search_entries AS e, to_tsquery('simple'::regconfig, :query) AS q(query) "
            f"WHERE {vector} @@ q.query ORDER BY score DESC LIMIT :candidates"
            ") AS m GROUP BY m.article_id"
        )
    else:
        query = " OR ".join(f'"{word}"*' if len(word) >= PREFIX_FROM else f'"{word}"' for word in words)
        if titles_only:
            query = f"title : ({query})"
        statement = text(
            # bm25() only runs in the query that does the MATCH, so that query is kept apart.
            "WITH m AS MATERIALIZED (SELECT rowid AS id, bm25(helpcenter_search_fts, 10.0, 1.0) AS score "
            "FROM helpcenter_search_fts WHERE helpcenter_search_fts MATCH :query "
            "ORDER BY score LIMIT :candidates) "
            "SELECT e.article_id AS article_id, -min(m.score) AS rank "
            "FROM m JOIN helpcenter_search_entries AS e ON e.id = m.id GROUP BY e.article_id"
        )
    return statement.bindparams(query=query, candidates=CANDIDATES).columns(article_id=Integer, rank=Float)
