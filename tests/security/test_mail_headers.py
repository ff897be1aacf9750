"""What a mail carries in its headers, whatever a person typed, and mail written to the folder whole.

The property test composes messages as the portal does and parses them back as a receiving server
would: a display name, however long and whatever its characters, names exactly one mailbox.
"""

from __future__ import annotations

import errno
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.database import db
from portal.jobs import Job, dispatch_ready_jobs, retry_job
from portal.mail import compose_message, safe_display_name, send_mail
from portal.testing import read_outbox

CUSTOMER = "customer@example.com"


def _compose(name: str, subject: str = "A subject") -> bytes:
    message = compose_message(
        sender="Customer Portal <portal@localhost>",
        to_email=CUSTOMER,
        to_name=name,
        subject=subject,
        text_body="Hello",
        html_body="<p>Hello</p>",
        locale="en",
    )
    return message.encode("ascii")


def _header_block(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


@settings(max_examples=500, deadline=None)
@given(name=st.text(max_size=300), subject=st.text(max_size=300))
def test_any_display_name_serialises_to_exactly_one_recipient(name: str, subject: str) -> None:
    raw = _compose(name, subject)

    parsed = message_from_bytes(raw, policy=policy.default)
    [recipient] = parsed["To"].addresses
    assert recipient.addr_spec == CUSTOMER
    # Python's parser reads a run of whitespace as one space, and puts one between encoded words
    # (RFC 2047 says to drop it); apart from spaces the name reads back exactly as typed.
    assert "".join(recipient.display_name.split()) == "".join(safe_display_name(name).split())
    assert len(parsed.get_all("To")) == 1
    assert all(len(line) <= 998 for line in _header_block(raw).split(b"\r\n"))


@pytest.mark.parametrize(
    "name",
    [
        "Alexandria Montgomery Featherstonehaugh Smithsonian Institute <attacker@evil.example>, x",
        'Eve" <attacker@evil.example>, "x',
        "a@b.example, c@d.example",
        "Eve;attacker@evil.example:",
        "(comment) <attacker@evil.example>",
        "\u2028Bcc: attacker@evil.example",
    ],
)
def test_names_that_look_like_addresses_stay_names(name: str) -> None:
    raw = _compose(name)
    [recipient] = message_from_bytes(raw, policy=policy.default)["To"].addresses
    assert recipient.addr_spec == CUSTOMER
    assert b"attacker@evil.example" not in _header_block(raw)


# --- the folder on a full disk ---------------------------------------------------------------------


class _DiskFillsUp:
    """A file that takes half of what is written, then reports that the disk is full."""

    def __init__(self, path: Path, mode: str) -> None:
        self._handle = open(path, mode)  # noqa: SIM115 (closed by __exit__)

    def write(self, data: bytes) -> int:
        self._handle.write(data[: len(data) // 2])
        self._handle.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self) -> _DiskFillsUp:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._handle.close()


def _send(app: Flask) -> None:
    with app.test_request_context():
        send_mail(CUSTOMER, "Customer", "password_changed", "A subject", reset_link="https://portal.test/x")
        db.session.commit()


def _files(app: Flask) -> list[str]:
    folder = Path(app.instance_path) / "mail"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_full_disk_leaves_no_partial_mail_and_the_retry_writes_one_file(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk cannot be made safely in a test, so the write is replaced by one that fails half-way."""
    import portal.mail

    with monkeypatch.context() as patch:
        patch.setattr(portal.mail, "open", _DiskFillsUp, raising=False)
        _send(app)
        assert _files(app) == [], "nothing half-written is left in the folder"

    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.task == "core.deliver_mail")).one()
        assert (job.status, job.attempts) == ("queued", 1)
        assert "No space left on device" in (job.last_error or "")
        assert retry_job(job.id)
        db.session.commit()
        dispatch_ready_jobs()
    [name] = _files(app)
    assert name.endswith(".eml")
    [message] = read_outbox(app)
    assert message["To"].addresses[0].addr_spec == CUSTOMER


def test_delivering_the_same_mail_twice_keeps_one_file(app: Flask) -> None:
    """A worker that wrote the file but died before marking its job done delivers it again: one file."""
    from portal.mail import deliver_mail

    _send(app)
    with app.app_context():
        arguments = db.session.scalars(select(Job.arguments).where(Job.task == "core.deliver_mail")).one()
        deliver_mail(**arguments)
    assert len(_files(app)) == 1
