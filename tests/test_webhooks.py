"""Webhooks against a real HTTP receiver started by each test: signed, retried, once in effect, switched off.

The receiver is a threaded ``http.server`` on 127.0.0.1, which the tests' deployment allows with
``PORTAL_WEBHOOK_ALLOWED_NETWORKS`` (everything else private stays refused, as in production). The
signature is checked here by the Standard Webhooks recipe written out by hand, not by the portal's
own signing code, so a mistake there cannot check itself.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update
from webhook_receiver import Receiver, running_receiver, verify

from portal.core_events import UserRegistered
from portal.database import db, utcnow
from portal.jobs import Job
from portal.notifications.models import Notification
from portal.testing import TEST_PASSWORD, post_form, read_outbox
from portal.testing.events import emit_as_owner
from portal.webhooks.destinations import refusal_of
from portal.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def app_config(app_config):
    app_config["PORTAL_WEBHOOK_ALLOWED_NETWORKS"] = ["127.0.0.1/32"]
    app_config["PORTAL_WEBHOOK_DISABLE_AFTER"] = 3
    app_config["PORTAL_WEBHOOK_TIMEOUT"] = 2
    return app_config


def add_webhook(client, url: str, events: list[str]) -> tuple[int, str]:
    """Add a webhook through the admin's form; its id and the secret shown once."""
    response = post_form(
        client, "/staff/webhooks/new", {"url": url, "description": "The shop", "events": events}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    secret = page.split('id="webhook-secret" value="', 1)[1].split('"', 1)[0]
    with client.application.app_context():
        webhook_id = db.session.scalar(select(Webhook.id).order_by(Webhook.id.desc()))
    return webhook_id, secret


def emit_registered(app: Flask, user_id: int = 1, commit: bool = True) -> None:
    with app.app_context():
        emit_as_owner(UserRegistered(user_id=user_id), customer_id=None)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()


def time_passes(app: Flask, delta: timedelta) -> None:
    with app.app_context():
        for row in db.session.scalars(select(Job)):
            row.run_after -= delta
            if row.locked_until is not None:
                row.locked_until -= delta
        db.session.commit()


def tick(app: Flask) -> None:
    assert app.test_cli_runner().invoke(args=["tick"]).exit_code == 0


def deliveries(app: Flask) -> list[WebhookDelivery]:
    with app.app_context():
        rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        db.session.expunge_all()
        return list(rows)


def test_a_customer_signing_up_reaches_the_receiver_signed(app, client, login_as, receiver):
    login_as("admin")
    _webhook_id, secret = add_webhook(client, receiver.url, ["core.registered"])
    client.post("/logout")
    newcomer = app.test_client()
    response = post_form(
        newcomer, "/register", {"name": "Sam", "email": "sam@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code in (302, 303)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert verify(secret, request.headers, request.body)
    tampered = request.body.replace("core.registered", "core.registerex")
    assert not verify(secret, request.headers, tampered), "a changed body must not verify"
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.body)
    with app.app_context():
        from portal.accounts.models import User

        sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))
    assert body["type"] == "core.registered"
    assert body["data"] == {"user_id": sam.id}
    assert body["customer_id"] == sam.id
    [delivery] = deliveries(app)
    assert delivery.status == "delivered"
    assert request.headers["webhook-id"] == delivery.message_id


def test_the_secret_is_shown_once_and_the_log_keeps_no_signature(app, client, login_as, receiver):
    login_as("admin")
    webhook_id, secret = add_webhook(client, receiver.url, ["core.registered"])
    emit_registered(app)
    for page in ("/staff/webhooks/", f"/staff/webhooks/{webhook_id}", f"/staff/webhooks/{webhook_id}/edit"):
        assert secret not in client.get(page).get_data(as_text=True)
    delivery = deliveries(app)[0]
    log = client.get(f"/staff/webhooks/{webhook_id}/deliveries/{delivery.id}").get_data(as_text=True)
    assert "webhook-signature: v1,…" in log and secret not in log
    assert delivery.message_id in log and "thanks" in log
    assert "must-not-be-kept" not in log, "the receiver's cookies are not kept"


def test_a_rolled_back_change_sends_nothing(app, client, login_as, receiver):
    login_as("admin")
    add_webhook(client, receiver.url, ["core.registered"])
    emit_registered(app, commit=False)
    tick(app)
    assert receiver.requests == [] and deliveries(app) == []


def test_only_subscribed_events_are_sent(app, client, login_as, receiver):
    login_as("admin")
    add_webhook(client, receiver.url, ["core.email_verified"])
    emit_registered(app)
    assert receiver.requests == []


def test_a_500_is_retried_with_backoff_under_the_same_id(app, client, login_as, receiver):
    receiver.answers = [500, 200]
    login_as("admin")
    webhook_id, secret = add_webhook(client, receiver.url, ["core.registered"])
    emit_registered(app)
    assert len(receiver.requests) == 1
    [delivery] = deliveries(app)
    assert delivery.status == "retrying"
    with app.app_context():
        job = db.session.get(Job, delivery.job_id)
        assert job.status == "queued" and "answered 500" in job.last_error
        assert db.session.get(Webhook, webhook_id).failure_streak == 1

    tick(app)
    assert len(receiver.requests) == 1, "the retry waits for its backoff"
    time_passes(app, timedelta(minutes=2))
    tick(app)
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert verify(secret, second.headers, second.body)
    [delivery] = deliveries(app)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    with app.app_context():
        assert db.session.get(Webhook, webhook_id).failure_streak == 0
        attempts = db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()
        assert [attempt.response_status for attempt in attempts] == [500, 200]
        assert "the shop is down" in attempts[0].response_body
    log = client.get(f"/staff/webhooks/{webhook_id}/deliveries/{delivery.id}").get_data(as_text=True)
    assert "Response 500" in log and "Response 200" in log


def test_one_delivery_in_effect_after_a_crash_between_commit_and_send(app, client, login_as, receiver):
    login_as("admin")
    add_webhook(client, receiver.url, ["core.registered"])
    with app.app_context():
        emit_as_owner(UserRegistered(user_id=1))
        db.session.commit()
        db.session.remove()  # the process dies between the commit and sending
    assert receiver.requests == []
    tick(app)
    assert receiver.requests == [], "a just-queued delivery is not dispatched twice at once"
    time_passes(app, timedelta(minutes=6))
    tick(app)
    assert len(receiver.requests) == 1
    time_passes(app, timedelta(hours=1))
    tick(app)
    tick(app)
    assert len(receiver.requests) == 1
    assert [delivery.status for delivery in deliveries(app)] == ["delivered"]


def test_a_send_cut_off_before_its_log_is_repeated_with_the_same_id(app, client, login_as, receiver):
    """A worker dying after the receiver got the request: sent again, and the id lets it act once."""
    login_as("admin")
    add_webhook(client, receiver.url, ["core.registered"])
    emit_registered(app)
    [delivery] = deliveries(app)
    with app.app_context():  # as if the worker died after sending, before its commit
        db.session.execute(update(WebhookDelivery).values(status="pending", attempts=0))
        db.session.execute(
            update(Job)
            .where(Job.id == delivery.job_id)
            .values(status="running", attempts=1, locked_until=utcnow() + timedelta(minutes=30))
        )
        db.session.commit()
    time_passes(app, timedelta(hours=1))
    tick(app)
    assert len(receiver.requests) == 2
    ids = {request.headers["webhook-id"] for request in receiver.requests}
    assert ids == {delivery.message_id}, "a receiver that keeps seen ids acts once"


def test_switched_off_after_repeated_failure_and_administrators_told(app, client, login_as, receiver):
    receiver.answers = [503]
    admin = login_as("admin")
    webhook_id, _secret = add_webhook(client, receiver.url, ["core.registered"])
    for user_id in (1, 2, 3):
        emit_registered(app, user_id=user_id)
    assert len(receiver.requests) == 3
    with app.app_context():
        webhook = db.session.get(Webhook, webhook_id)
        assert not webhook.active and webhook.disabled_by_id is None and webhook.failure_streak == 3
        notice = db.session.scalar(select(Notification).where(Notification.user_id == admin.id))
        assert notice is not None and notice.kind == "core.webhooks"
        assert notice.url == f"/staff/webhooks/{webhook_id}"
    assert any(receiver.url in message.get_body().get_content() for message in read_outbox(app))
    first = deliveries(app)[0]
    operations = client.get("/staff/operations/").get_data(as_text=True)
    assert f"/staff/webhooks/{webhook_id}/deliveries/{first.id}" in operations, (
        "sends waiting to retry are linked"
    )

    emit_registered(app, user_id=4)
    assert len(deliveries(app)) == 3, "a switched-off webhook gets no new deliveries"
    time_passes(app, timedelta(hours=1))
    tick(app)
    assert len(receiver.requests) == 3, "its queued retries are not sent"
    assert {delivery.status for delivery in deliveries(app)} == {"skipped"}
    page = client.get(f"/staff/webhooks/{webhook_id}").get_data(as_text=True)
    assert "Switched off after failures" in page and "after 3 failed attempts in a row" in page

    receiver.answers = [200]
    assert post_form(client, f"/staff/webhooks/{webhook_id}/switch", {"on": "1"}).status_code == 303
    emit_registered(app, user_id=5)
    assert len(receiver.requests) == 4
    skipped = deliveries(app)[0]
    response = post_form(client, f"/staff/webhooks/{webhook_id}/deliveries/{skipped.id}/resend", {})
    assert response.status_code == 303
    assert len(receiver.requests) == 5
    assert receiver.requests[-1].headers["webhook-id"] == skipped.message_id


def test_the_test_button_shows_the_receivers_answer(app, client, login_as, receiver):
    login_as("admin")
    webhook_id, secret = add_webhook(client, receiver.url, ["core.registered"])
    response = post_form(client, f"/staff/webhooks/{webhook_id}/test", {}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Delivered" in page and "Response 200" in page
    [request] = receiver.requests
    assert json.loads(request.body)["type"] == "core.webhook_test"
    assert verify(secret, request.headers, request.body)


def test_a_rotated_secret_signs_beside_the_old_one_for_a_day(app, client, login_as, receiver):
    login_as("admin")
    webhook_id, old = add_webhook(client, receiver.url, ["core.registered"])
    response = post_form(client, f"/staff/webhooks/{webhook_id}/rotate", {})
    new = response.get_data(as_text=True).split('id="webhook-secret" value="', 1)[1].split('"', 1)[0]
    assert new != old and new.startswith("whsec_")
    emit_registered(app)
    [request] = receiver.requests
    assert verify(old, request.headers, request.body) and verify(new, request.headers, request.body)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.2:5432/",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://0.0.0.0/",
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
        "http://192.168.1.1:99999/",
        "not a url",
    ],
)
def test_private_local_and_malformed_addresses_are_refused_at_the_form(app, client, login_as, url):
    login_as("admin")
    response = post_form(client, "/staff/webhooks/new", {"url": url, "events": ["core.registered"]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="error"' in page and url.replace("&", "&amp;") in page, "what was typed is kept"
    with app.app_context():
        assert db.session.scalar(select(Webhook.id)) is None


def test_an_address_refused_at_send_time_is_logged_and_never_requested(app, client, login_as, receiver):
    login_as("admin")
    add_webhook(client, receiver.url, ["core.registered"])
    app.config["PORTAL_WEBHOOK_ALLOWED_NETWORKS"] = []  # the operator closed the network since
    emit_registered(app)
    assert receiver.requests == []
    with app.app_context():
        [attempt] = db.session.scalars(select(WebhookAttempt)).all()
        assert attempt.response_status is None and "private or local address" in attempt.error
    assert deliveries(app)[0].status == "retrying"


def test_a_slow_receiver_times_out_and_is_retried(app, client, login_as, receiver):
    receiver.delay = 3
    login_as("admin")
    add_webhook(client, receiver.url, ["core.registered"])
    emit_registered(app)
    with app.app_context():
        [attempt] = db.session.scalars(select(WebhookAttempt)).all()
        assert attempt.response_status is None and "could not be reached" in attempt.error
    assert deliveries(app)[0].status == "retrying"


def test_the_refusal_rule_on_its_own():
    allowed = [ipaddress.ip_network("10.20.0.0/16")]
    assert refusal_of(ipaddress.ip_address("93.184.216.34"), []) is None
    assert refusal_of(ipaddress.ip_address("2606:4700::1111"), []) is None
    for private in ("10.0.0.1", "127.0.0.1", "172.16.0.1", "192.168.0.1", "100.64.0.1", "fd00::1", "fe80::1"):
        assert refusal_of(ipaddress.ip_address(private), []) is not None, private
    assert refusal_of(ipaddress.ip_address("10.20.3.4"), allowed) is None
    assert refusal_of(ipaddress.ip_address("::ffff:10.20.3.4"), allowed) is None
    assert refusal_of(ipaddress.ip_address("224.0.0.1"), allowed) is not None


def test_a_mistyped_network_stops_the_start(app_config):
    from portal import create_app
    from portal.config import ConfigError

    app_config["PORTAL_WEBHOOK_ALLOWED_NETWORKS"] = "10.0.0.0/8, the office"
    with pytest.raises(ConfigError, match="the office"):
        create_app(dict(app_config))


@pytest.mark.parametrize("role", ["customer", "agent"])
def test_only_administrators_reach_webhooks(app, client, login_as, role):
    login_as(role)
    assert client.get("/staff/webhooks/").status_code == 403
    assert (
        post_form(
            client, "/staff/webhooks/new", {"url": "https://example.com/", "events": ["core.registered"]}
        ).status_code
        == 403
    )


def test_changing_and_deleting_a_webhook_are_audited(app, client, login_as, receiver):
    login_as("admin")
    webhook_id, _secret = add_webhook(client, receiver.url, ["core.registered"])
    response = post_form(
        client,
        f"/staff/webhooks/{webhook_id}/edit",
        {"url": receiver.url, "description": "ERP", "events": ["core.registered", "core.email_verified"]},
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Webhook, webhook_id).events == ["core.email_verified", "core.registered"]
    emit_registered(app)
    assert post_form(client, f"/staff/webhooks/{webhook_id}/delete", {}).status_code == 303
    with app.app_context():
        from portal.audit import AuditEvent

        kinds = db.session.scalars(
            select(AuditEvent.kind).where(AuditEvent.kind.like("webhook_%")).order_by(AuditEvent.id)
        ).all()
        assert kinds == ["webhook_created", "webhook_changed", "webhook_deleted"]
        assert db.session.scalar(select(WebhookDelivery.id)) is None, "its log goes with it"
    assert client.get(f"/staff/webhooks/{webhook_id}").status_code == 404


def admin_headers(app: Flask, *scopes: str) -> dict[str, str]:
    from portal.testing import api_token, create_user

    return {"Authorization": api_token(app, create_user(app, "admin").id, *scopes)}


def test_an_integration_subscribes_itself_through_the_api(app, receiver):
    headers = admin_headers(app, "webhooks:write")
    client = app.test_client()
    made = client.post(
        "/api/v1/webhooks/", json={"url": receiver.url, "events": ["core.registered"]}, headers=headers
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    secret, webhook_id = made.json["secret"], made.json["id"]
    read = client.get(f"/api/v1/webhooks/{webhook_id}", headers=headers)
    assert "secret" not in read.json and secret not in read.get_data(as_text=True)

    test = client.post(f"/api/v1/webhooks/{webhook_id}/test", headers=headers)
    assert test.status_code == 202 and test.json["event_name"] == "core.webhook_test"
    emit_registered(app)
    assert [body["type"] for body in receiver.bodies()] == ["core.webhook_test", "core.registered"]
    assert all(verify(secret, request.headers, request.body) for request in receiver.requests)

    log = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=headers).json["items"]
    assert [item["status"] for item in log] == ["delivered", "delivered"]
    detail = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries/{log[0]['id']}", headers=headers).json
    assert detail["body"] == receiver.requests[1].body
    assert [attempt["response_status"] for attempt in detail["attempts_made"]] == [200]
    assert "webhook-signature" not in detail["attempts_made"][0]["request_headers"]

    again = client.post(f"/api/v1/webhooks/{webhook_id}/deliveries/{log[0]['id']}/resend", headers=headers)
    assert again.status_code == 202
    assert receiver.requests[-1].headers["webhook-id"] == log[0]["message_id"]

    rotated = client.post(f"/api/v1/webhooks/{webhook_id}/secret", headers=headers).json["secret"]
    assert rotated != secret
    off = client.patch(f"/api/v1/webhooks/{webhook_id}", json={"active": False}, headers=headers)
    assert off.json["active"] is False
    emit_registered(app, user_id=2)
    assert len(receiver.requests) == 3, "nothing goes to a switched-off webhook"
    assert client.delete(f"/api/v1/webhooks/{webhook_id}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/webhooks/{webhook_id}", headers=headers).status_code == 404


def test_the_api_refuses_private_addresses_and_unknown_events(app):
    headers = admin_headers(app, "webhooks:write")
    client = app.test_client()
    private = client.post(
        "/api/v1/webhooks/",
        json={"url": "http://169.254.169.254/", "events": ["core.registered"]},
        headers=headers,
    )
    assert private.status_code == 422
    assert "private or local address" in private.json["errors"]["json"]["url"][0]
    unknown = client.post(
        "/api/v1/webhooks/",
        json={"url": "https://93.184.216.34/", "events": ["tickets.hacked"]},
        headers=headers,
    )
    assert unknown.status_code == 422 and "tickets.hacked" in unknown.json["errors"]["json"]["events"][0]
    with app.app_context():
        assert db.session.scalar(select(Webhook.id)) is None


def test_webhooks_are_for_administrators_tokens_only(app, client, login_as):
    from portal.testing import api_token, create_user

    agent = create_user(app, "agent")
    headers = {"Authorization": api_token(app, agent.id, "webhooks:write")}
    assert app.test_client().get("/api/v1/webhooks/", headers=headers).status_code == 403
    login_as("agent")
    assert 'name="scope_webhooks"' not in client.get("/account/api-tokens/").get_data(as_text=True)
    admin_client = app.test_client()
    from portal.testing import log_in

    admin = create_user(app, "admin")
    log_in(admin_client, admin.email, TEST_PASSWORD)
    assert 'name="scope_webhooks"' in admin_client.get("/account/api-tokens/").get_data(as_text=True)


@pytest.mark.plugins("surveys")
def test_an_anonymous_survey_answer_is_never_sent(app, receiver):
    """Its moment alone, in a receiver's log, would line up with what else that customer did."""
    from plugins.surveys.models import Invitation, Question, Survey
    from portal.testing import api_token, create_user

    headers = admin_headers(app, "webhooks:write")
    made = app.test_client().post(
        "/api/v1/webhooks/", json={"url": receiver.url, "events": ["surveys.completed"]}, headers=headers
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    for anonymous in (True, False):
        customer = create_user(app)
        with app.app_context():
            survey = Survey(title="How are we doing?", status="published", anonymous=anonymous)
            db.session.add(survey)
            db.session.flush()
            question = Question(survey_id=survey.id, position=0, kind="nps", text="Recommend us?")
            db.session.add_all(
                [
                    question,
                    Invitation(survey_id=survey.id, customer_id=customer.id, status="sent", sent_at=utcnow()),
                ]
            )
            db.session.commit()
            survey_id, question_id = survey.id, question.id
        answered = app.test_client().post(
            f"/api/v1/surveys/{survey_id}/responses",
            json={"answers": {str(question_id): 9}},
            headers={"Authorization": api_token(app, customer.id, "surveys:write")},
        )
        assert answered.status_code == 201, answered.get_data(as_text=True)
    [sent] = receiver.bodies()
    assert sent["type"] == "surveys.completed" and sent["customer_id"] == customer.id, "only the named one"
