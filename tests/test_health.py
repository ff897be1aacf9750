"""/healthz and /readyz as a load balancer sees them: real database, real Redis, real storage folder."""

from __future__ import annotations

import shutil

from portal import create_app
from portal.database import db
from portal.plugin import storage
from portal.testing.fixtures import base_config, free_port


def test_healthz_answers_without_a_session_or_a_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_readyz_reports_each_service_and_sets_no_cookie(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "not configured", "storage": "ok"},
    }
    assert "Set-Cookie" not in response.headers


def test_readyz_asks_redis_when_it_is_configured(redis_queue, app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"] == "ok"


def test_a_redis_that_does_not_answer_makes_the_portal_not_ready_without_saying_where(app_config):
    address = f"127.0.0.1:{free_port()}"
    app = create_app(dict(app_config, PORTAL_REDIS_URL=f"redis://{address}/0"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready",
        "checks": {"database": "ok", "redis": "failing", "storage": "ok"},
    }
    assert address not in response.get_data(as_text=True)
    assert app.test_client().get("/healthz").status_code == 200


def test_a_missing_storage_folder_makes_the_portal_not_ready(app, client):
    with app.app_context():
        shutil.rmtree(storage().root)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"] == "failing"


def test_a_database_that_cannot_be_opened_makes_the_portal_not_ready_but_still_alive(tmp_path):
    config = base_config(tmp_path / "instance", f"sqlite:///{tmp_path / 'gone' / 'portal.sqlite3'}", [])
    app = create_app(config)
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "failing"
    assert "gone" not in response.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_probes_are_outside_a_deployments_default_rate_limit(app_config):
    app = create_app(dict(app_config, RATELIMIT_DEFAULT="5 per minute"))
    client = app.test_client()
    assert {client.get("/healthz").status_code for _ in range(20)} == {200}
    assert {client.get("/readyz").status_code for _ in range(20)} == {200}
    assert 429 in {client.get("/login").status_code for _ in range(20)}
