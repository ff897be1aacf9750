"""With PORTAL_REDIS_URL, every worker process counts failed sign-ins in the same place."""

from __future__ import annotations

import uuid

import pytest
import redis

from portal import create_app
from portal.testing import post_form
from portal.testing.fixtures import REDIS_URL, service_unavailable


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as error:
        service_unavailable(f"Redis at {REDIS_URL} cannot be reached: {error}")
    return REDIS_URL


def test_failed_sign_ins_are_counted_across_workers(app_config, make_user, redis_url):
    user = make_user()
    prefix = f"portal-test-{uuid.uuid4().hex}"
    app_config.update(PORTAL_REDIS_URL=redis_url, RATELIMIT_KEY_PREFIX=prefix)
    workers = [create_app(dict(app_config)).test_client() for _ in range(2)]

    for attempt in range(5):
        response = post_form(
            workers[attempt % 2], "/login", {"email": user.email, "password": "nope nope nope"}
        )
        assert response.status_code == 200
    for worker in workers:
        blocked = post_form(worker, "/login", {"email": user.email, "password": "nope nope nope"})
        assert blocked.status_code == 429

    keys = redis.Redis.from_url(redis_url).keys(f"*{prefix}*")
    assert keys, "the counts live in Redis"
    redis.Redis.from_url(redis_url).delete(*keys)
