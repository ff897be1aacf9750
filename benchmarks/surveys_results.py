"""How the survey results page copes with 100,000 responses: time and SQL statements per render.

Run it from the project root:  .venv/bin/python benchmarks/surveys_results.py [--responses 100000]
                                [--database-url postgresql://postgres@127.0.0.1:5432/bench]

It migrates a fresh database (a temporary SQLite file unless --database-url names an empty one),
seeds an NPS survey with N submitted responses (a score and a comment each) with bulk inserts, signs an
agent in and renders /staff/surveys/<id>/results three times. The page must come from aggregate
queries, so its statement count is the same as for an empty survey and no statement reads answers
row by row; the script exits with status 1 otherwise, or when a render takes over --budget seconds.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from bench_app import migrated_app
from sqlalchemy import event, insert, select

from plugins.surveys import library
from plugins.surveys.models import Answer, Question, Response
from portal.database import db, utcnow
from portal.testing import TEST_PASSWORD, create_user, log_in

CHUNK = 5000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds allowed per render")
    args = parser.parse_args()
    app = migrated_app(["surveys"], args.database_url, "surveys-bench-")
    with app.test_request_context():
        survey, questions = library.build("nps")
        survey.status = "published"
        db.session.add(survey)
        db.session.flush()
        for question in questions:
            question.survey_id = survey.id
            db.session.add(question)
        db.session.commit()
        survey_id = survey.id
        score_id, reason_id = db.session.scalars(
            select(Question.id).where(Question.survey_id == survey_id).order_by(Question.position)
        ).all()
        started = time.perf_counter()
        now = utcnow()
        for offset in range(0, args.responses, CHUNK):
            size = min(CHUNK, args.responses - offset)
            db.session.execute(
                insert(Response),
                [
                    {
                        "survey_id": survey_id,
                        "respondent": f"bench-{offset + i}",
                        "submitted_at": now - timedelta(minutes=offset + i),
                    }
                    for i in range(size)
                ],
            )
            ids = db.session.scalars(
                select(Response.id)
                .where(Response.survey_id == survey_id)
                .order_by(Response.id.desc())
                .limit(size)
            ).all()
            db.session.execute(
                insert(Answer),
                [{"response_id": rid, "question_id": score_id, "value": rid % 11} for rid in ids]
                + [{"response_id": rid, "question_id": reason_id, "text": f"Reason {rid}"} for rid in ids],
            )
            db.session.commit()
        print(f"seeded {args.responses} responses in {time.perf_counter() - started:.1f}s")
    agent = create_user(app, "agent")
    client = app.test_client()
    log_in(client, agent.email, TEST_PASSWORD)
    failed = False
    with app.app_context():
        engine = db.engine
    for attempt in range(3):
        seen: list[str] = []

        def record(_conn, _cursor, statement, _params, _context, _many, seen=seen) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        started = time.perf_counter()
        page = client.get(f"/staff/surveys/{survey_id}/results")
        elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", record)
        row_reads = [s for s in seen if "FROM surveys_answers" in s and "count(" not in s.lower()]
        print(f"render {attempt + 1}: {page.status_code}, {elapsed:.3f}s, {len(seen)} statements")
        if page.status_code != 200 or row_reads or elapsed > args.budget:
            failed = True
    print("FAILED" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
