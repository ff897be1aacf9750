"""Jobs: promised in the caller's transaction, run after its commit (in-process or by an RQ worker),
retried with backoff, then failed where an administrator sees them and can run them again.

The tasks below record their calls in this process's memory: the in-process runner and the RQ
SimpleWorker that the tests start both run jobs in this process.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from portal.database import db, utcnow
from portal.jobs import Job, job_worker, run_job
from portal.plugin import enqueue, task
from portal.testing import post_form

calls: Counter[str] = Counter()


@task("tests.remember")
def remember(token: str) -> None:
    calls[token] += 1


@task("tests.refuse", max_attempts=2)
def refuse(token: str) -> None:
    calls[token] += 1
    raise ConnectionRefusedError(f"the mail server refused {token}")


@task("tests.fail_once", max_attempts=3)
def fail_once(token: str) -> None:
    calls[token] += 1
    if calls[token] == 1:
        raise TimeoutError("the mail server timed out")


@task("tests.chain")
def chain(token: str) -> None:
    calls[token] += 1
    enqueue("tests.remember", token=token + "-next")
    db.session.commit()


def token() -> str:
    return uuid.uuid4().hex


def enqueue_and_commit(app: Flask, task_name: str, **arguments: object) -> int:
    """Queue a job in a transaction of its own; in-process, it runs when the app context ends."""
    with app.app_context():
        job_id = enqueue(task_name, **arguments)
        db.session.commit()
        return job_id


def job(app: Flask, job_id: int) -> Job:
    with app.app_context():
        row = db.session.get(Job, job_id)
        db.session.expunge(row)
        return row


def time_passes(app: Flask, delta: timedelta) -> None:
    """Move every job's clocks back by ``delta``, as if that much time had gone by."""
    with app.app_context():  # in Python: SQLite cannot subtract an interval from a stored date
        for row in db.session.scalars(select(Job)):
            row.run_after -= delta
            if row.locked_until is not None:
                row.locked_until -= delta
        db.session.commit()


def test_job_runs_after_its_transaction_commits(app):
    mark = token()
    with app.app_context():
        job_id = enqueue("tests.remember", token=mark)
        db.session.commit()
        assert calls[mark] == 0, "in-process jobs run when the unit of work ends"
    assert calls[mark] == 1
    done = job(app, job_id)
    assert (done.status, done.attempts) == ("done", 1)
    assert done.finished_at is not None


def test_job_of_a_rolled_back_transaction_never_runs(app):
    mark = token()
    with app.app_context():
        enqueue("tests.remember", token=mark)
        db.session.rollback()
    assert app.test_cli_runner().invoke(args=["tick"]).exit_code == 0
    assert calls[mark] == 0
    with app.app_context():
        assert db.session.scalar(select(Job.id)) is None


def test_job_handed_out_twice_runs_once(app):
    mark = token()
    job_id = enqueue_and_commit(app, "tests.remember", token=mark)
    with app.app_context():
        run_job(job_id)
        run_job(job_id)
    assert calls[mark] == 1


def test_jobs_queued_by_jobs_run_too(app):
    mark = token()
    enqueue_and_commit(app, "tests.chain", token=mark)
    assert (calls[mark], calls[mark + "-next"]) == (1, 1)


def test_job_lost_after_its_commit_is_dispatched_again_by_tick(app):
    mark = token()
    with app.app_context():
        job_id = enqueue("tests.remember", token=mark)
        db.session.commit()
        db.session.remove()  # the process dies between the commit and running the job
    assert calls[mark] == 0
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert calls[mark] == 0, "a just-dispatched job is not dispatched again at once"
    time_passes(app, timedelta(minutes=6))
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert calls[mark] == 1
    assert job(app, job_id).status == "done"


def test_job_whose_worker_died_is_run_again_by_tick(app):
    mark = token()
    job_id = enqueue_and_commit(app, "tests.remember", token=mark)
    with app.app_context():  # a worker claimed it again and died while running it
        db.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status="running", locked_until=utcnow() + timedelta(minutes=30))
        )
        db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert calls[mark] == 1, "a running job is left alone while its lease lasts"
    time_passes(app, timedelta(minutes=31))
    result = runner.invoke(args=["tick"])
    assert "Recovered 1 lost jobs" in result.output
    assert calls[mark] == 2
    assert job(app, job_id).status == "done"


def test_failing_job_is_retried_then_failed_and_shown_to_administrators(app, client, login_as):
    mark = token()
    job_id = enqueue_and_commit(app, "tests.refuse", token=mark)
    first = job(app, job_id)
    assert (first.status, first.attempts, calls[mark]) == ("queued", 1, 1)
    assert first.run_after > utcnow(), "the retry waits for its backoff"
    assert "ConnectionRefusedError: the mail server refused" in first.last_error

    runner = app.test_cli_runner()
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert calls[mark] == 1
    time_passes(app, timedelta(minutes=2))
    assert runner.invoke(args=["tick"]).exit_code == 0
    last = job(app, job_id)
    assert (last.status, last.attempts, calls[mark]) == ("failed", 2, 2)

    time_passes(app, timedelta(days=1))
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert calls[mark] == 2, "a failed job waits for a person"

    listing = runner.invoke(args=["jobs", "list-failed"]).output
    assert f"{job_id}  tests.refuse" in listing and "2/2  failed" in listing

    login_as("admin")
    page = client.get("/staff/operations/").get_data(as_text=True)
    assert "tests.refuse" in page and "the mail server refused" in page
    assert f'action="/staff/operations/jobs/{job_id}/retry"' in page


def test_admin_retries_a_failed_job_and_it_leaves_the_list(app, client, login_as):
    mark = token()
    job_id = enqueue_and_commit(app, "tests.fail_once", token=mark)
    assert job(app, job_id).status == "queued"

    login_as("admin")
    response = post_form(client, f"/staff/operations/jobs/{job_id}/retry", {}, follow_redirects=True)
    assert response.status_code == 200
    assert calls[mark] == 2
    assert job(app, job_id).status == "done"
    assert "tests.fail_once" not in response.get_data(as_text=True)
    assert post_form(client, f"/staff/operations/jobs/{job_id}/retry", {}).status_code == 404, "done"
    assert post_form(client, "/staff/operations/jobs/999999/retry", {}).status_code == 404


def test_jobs_retry_command_runs_a_failed_job_again(app):
    mark = token()
    job_id = enqueue_and_commit(app, "tests.refuse", token=mark)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "retry", str(job_id)])
    assert result.exit_code == 0, result.output
    assert f"Job {job_id} is failed." in result.output
    assert calls[mark] == 2
    assert runner.invoke(args=["jobs", "retry", "999999"]).exit_code == 1


def test_failed_jobs_page_in_steps(app, client, login_as):
    with app.app_context():
        now = utcnow()
        for number in range(30):
            db.session.add(
                Job(
                    task=f"tests.refuse_{number:02d}",
                    arguments={},
                    status="failed",
                    attempts=2,
                    max_attempts=2,
                    run_after=now,
                    last_error="RuntimeError: no",
                    created_at=now,
                )
            )
        db.session.commit()
    login_as("admin")
    first = client.get("/staff/operations/").get_data(as_text=True)
    assert "tests.refuse_29" in first and "tests.refuse_05" in first and "tests.refuse_04" not in first
    assert "Older failed jobs" in first
    next_page = re.search(r'href="(/staff/operations/\?jobs_before=\d+)"', first)
    assert next_page, "the older jobs are a link away"
    page = client.get(next_page.group(1)).get_data(as_text=True)
    assert "tests.refuse_04" in page and "tests.refuse_00" in page and "tests.refuse_05" not in page
    assert client.get("/staff/operations/?jobs_before=nonsense").status_code == 200


def test_enqueue_refuses_unknown_tasks_and_unstorable_arguments(app):
    with app.app_context():
        with pytest.raises(LookupError, match=r"No task named 'tests\.nobody'"):
            enqueue("tests.nobody")
        with pytest.raises(TypeError, match="JSON-serialisable"):
            enqueue("tests.remember", token=utcnow())
        db.session.rollback()


def test_task_names_are_checked_and_unique():
    with pytest.raises(ValueError, match="not a valid task name"):
        task("NoDots")
    with pytest.raises(ValueError, match=r"Two functions claim the task name 'tests\.remember'"):
        task("tests.remember")(lambda token: None)


def test_worker_needs_redis(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 1
    assert "PORTAL_REDIS_URL is not set" in result.output


# --- Through Redis ------------------------------------------------------------------------------


def test_with_redis_a_failing_job_is_retried_by_the_worker_then_failed(redis_queue, app, client, login_as):
    mark = token()
    job_id = enqueue_and_commit(app, "tests.refuse", token=mark)
    assert calls[mark] == 0 and redis_queue.count == 1, "the job waits in Redis for a worker"

    runner = app.test_cli_runner()
    assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert (job(app, job_id).status, calls[mark]) == ("queued", 1)

    time_passes(app, timedelta(minutes=2))
    result = runner.invoke(args=["tick"])
    assert "dispatched 1 jobs" in result.output
    assert "no 'portal worker' is working" in result.output
    assert calls[mark] == 1 and redis_queue.count == 1, "the tick hands the retry to the queue"
    assert runner.invoke(args=["worker", "--burst"]).exit_code == 0
    assert (job(app, job_id).status, calls[mark]) == ("failed", 2)

    login_as("admin")
    assert "the mail server refused" in client.get("/staff/operations/").get_data(as_text=True)
    post_form(client, f"/staff/operations/jobs/{job_id}/retry", {})
    assert calls[mark] == 2 and redis_queue.count == 1, "an administrator's retry goes through the queue too"


def test_with_redis_a_worker_told_to_stop_stops_at_once(redis_queue, app):
    """The end of a burst and systemd's stop both end in the worker leaving its command channel. Its
    listener thread may by then have seen the channel go and be waiting for a new subscription; with
    redis-py 8.2 the worker then waited out that listener's 60-second poll before it exited."""
    queue_worker = job_worker(app)
    queue_worker.subscribe()
    queue_worker.pubsub.unsubscribe()  # the listener finds its channel gone and waits for another
    for _ in range(100):
        if not queue_worker.pubsub.subscribed:
            break
        time.sleep(0.05)
    stopping = threading.Thread(target=queue_worker.unsubscribe, daemon=True)
    stopping.start()
    stopping.join(timeout=10)
    assert not stopping.is_alive(), "the worker was still stopping after 10 seconds"


def test_with_redis_only_committed_jobs_reach_the_queue(redis_queue, app):
    mark = token()
    with app.app_context():
        enqueue("tests.remember", token=mark + "-rolled-back")
        db.session.rollback()
        with db.session.begin_nested():  # a savepoint that is released…
            enqueue("tests.remember", token=mark + "-in-savepoint")
        db.session.rollback()  # …inside a transaction that rolls back
        enqueue("tests.remember", token=mark)
        db.session.commit()
    assert redis_queue.count == 1
    assert app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    assert (calls[mark], calls[mark + "-rolled-back"], calls[mark + "-in-savepoint"]) == (1, 0, 0)
