"""Schemathesis against the published OpenAPI document: the document and the code say the same.

Every operation of ``/api/v1/openapi.json`` is called with requests generated from its own schema,
valid ones and invalid ones, by a customer's, an agent's and an administrator's token holding every
scope, on the demo data (so ids find real tickets and notifications as well as missing ones). Each
answer must be no server error, of a documented status and content type, and valid against the
response schema the document gives. Two checks are left out, and why:

- "schema-valid request rejected": a valid-looking cursor the API did not write is refused (422)
  rather than read as "the first page", so a sync never silently starts over;
- "schema-violating request accepted": Schemathesis 4.32 builds some of its invalid requests with a
  query parameter of empty name, which disappears from the URL, and then counts the valid request
  that is left as accepted. Unknown fields are refused all the same: tests/test_api.py checks it.
"""

from __future__ import annotations

import os
import zlib

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from portal.accounts.models import find_user_by_email
from portal.api.access import scope_areas
from portal.demo import load_demo_data
from portal.testing import api_token

pytestmark = pytest.mark.plugins("tickets", "loyalty", "documents", "surveys", "appointments", "helpcenter")

# Ten of each mode per operation in a CI run: thirty took a fifth of the whole suite's time. A deeper
# hunt sets PORTAL_TEST_SCHEMA_EXAMPLES (and PORTAL_TEST_SCHEMA_RANDOM=1, below).
EXAMPLES_PER_OPERATION = int(os.environ.get("PORTAL_TEST_SCHEMA_EXAMPLES", "10"))
# The same examples on every run, so a CI run is repeatable; PORTAL_TEST_SCHEMA_RANDOM=1 explores anew
# (a failure seen once in about thirty random runs did not repeat; hunt it with random runs).
DERANDOMIZE = os.environ.get("PORTAL_TEST_SCHEMA_RANDOM") != "1"
ACCOUNTS = {"customer": "sara@example.com", "agent": "agent@example.com", "admin": "admin@example.com"}
# The operations are split into shards, by a stable hash of their label, so parallel workers share them.
SHARDS = 4


def shard_of(label: str) -> int:
    """The shard an operation belongs to: the same in every process, unlike hash()."""
    return zlib.crc32(label.encode()) % SHARDS


def every_scope(app: Flask) -> list[str]:
    with app.test_request_context():
        return [f"{area}:write" for area in scope_areas()]


@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_every_operation_keeps_to_the_document(app: Flask, role: str, shard: int) -> None:
    with app.test_request_context():
        load_demo_data()
        account = find_user_by_email(ACCOUNTS[role])
        assert account is not None and account.role == role
        account_id = account.id
    headers = {"Authorization": api_token(app, account_id, *every_scope(app))}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9, [operation.label for operation in operations]
    failures = []
    for operation in (each for each in operations if shard_of(each.label) == shard):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=DERANDOMIZE,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case) -> None:
                left_out = [positive_data_acceptance, negative_data_rejection]
                case.call_and_validate(headers=headers, excluded_checks=left_out)

            try:
                call()
            except Exception as failure:
                failures.append(f"{operation.label} ({mode.value}):\n{failure}")
    assert not failures, "\n\n".join(failures)
