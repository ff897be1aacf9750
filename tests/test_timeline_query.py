"""The 360° timeline is read from the first entries of the (customer_id, id) index, on both databases.

Seen at scale before core_0011: with an index on customer_id alone, PostgreSQL walked the whole outbox
backwards by id for a customer whose events were old (407 ms, 784,226 rows read for one page). The plan
must seek the customer's newest events in the pair index: no sort, no walk of the primary key.
"""

from __future__ import annotations

from sqlalchemy import insert, select, text

from portal.database import db, utcnow
from portal.events import StoredEvent

PAGE = 26


def test_the_timeline_seeks_the_customers_newest_events_in_one_index(app, make_user):
    quiet = make_user("customer")
    busy = make_user("customer")
    with app.app_context():
        now = utcnow()
        rows = [{"name": "core.signed_in", "payload": {}, "customer_id": quiet.id, "created_at": now}] * 40
        rows += [{"name": "core.signed_in", "payload": {}, "customer_id": busy.id, "created_at": now}] * 6000
        db.session.execute(insert(StoredEvent), rows)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        query = (
            select(StoredEvent.id)
            .where(StoredEvent.customer_id == quiet.id)
            .order_by(StoredEvent.id.desc())
            .limit(PAGE)
        )
        sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        if db.engine.dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "ix_portal_events_customer_id_id" in plan and "TEMP B-TREE" not in plan, plan
        else:
            plan = " ".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql)))
            assert "ix_portal_events_customer_id_id" in plan, plan
            assert "Sort" not in plan and "pkey" not in plan, plan
        assert len(db.session.scalars(query).all()) == PAGE
