"""The baseline of ``make bench``: a bare Flask + SQLAlchemy + Jinja page listing 25 rows in a layout.

It does what every portal page does at the least (one query, a template extending a layout, a row
loop) and nothing else, so its requests per second on the same machine, in the same run, are the
ceiling the portal's pages are measured against. Served by gunicorn as ``bare_app:app`` from the
benchmarks folder; ``BARE_DATABASE_URL`` names its database (a table of its own is made and filled
on start, so an empty database will do).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from flask import Flask, render_template
from jinja2 import DictLoader
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, func, insert, select

ROWS = 25
LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{% block title %}{% endblock %} · Bare</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><header><nav><a href="/">Home</a> <a href="/rows">Rows</a> <a href="/account">Account</a></nav></header>
<main>{% block content %}{% endblock %}</main><footer>Bare baseline</footer></body></html>"""
PAGE = """{% extends "layout.html" %}{% block title %}Rows{% endblock %}{% block content %}
<h1>Rows</h1><table><thead><tr><th>#</th><th>Subject</th><th>Status</th><th>Updated</th></tr></thead><tbody>
{% for row in rows %}<tr><td>{{ row.id }}</td><td><a href="/rows/{{ row.id }}">{{ row.subject }}</a></td>
<td>{{ row.status }}</td><td>{{ row.updated_at.strftime("%Y-%m-%d %H:%M") }}</td></tr>{% endfor %}
</tbody></table>{% endblock %}"""

metadata = MetaData()
rows_table = Table(
    "bench_bare_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subject", String(200)),
    Column("status", String(16)),
    Column("updated_at", DateTime),
)


def create_bare_app(database_url: str) -> Flask:
    """The bare app on ``database_url``, its table made and filled with ``ROWS`` rows if empty."""
    engine = create_engine(database_url)
    metadata.create_all(engine)
    with engine.begin() as connection:
        if not connection.scalar(select(func.count()).select_from(rows_table)):
            now = datetime.now(UTC).replace(tzinfo=None)
            connection.execute(
                insert(rows_table),
                [
                    {"subject": f"Row number {n}", "status": "open", "updated_at": now - timedelta(hours=n)}
                    for n in range(ROWS)
                ],
            )
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"layout.html": LAYOUT, "rows.html": PAGE})

    @app.route("/rows")
    def rows() -> str:
        with engine.connect() as connection:
            found = connection.execute(select(rows_table).order_by(rows_table.c.id.desc()).limit(ROWS)).all()
        return render_template("rows.html", rows=found)

    return app


app = create_bare_app(os.environ.get("BARE_DATABASE_URL", "sqlite:///bare.sqlite3"))
