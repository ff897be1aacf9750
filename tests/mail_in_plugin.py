"""A tiny plugin that takes inbound mail and remembers what it got, for tests/test_mail_in.py.

Installed as plugin ``mailtest`` by that module. Its handler keeps each mail in ``RECEIVED`` and logs
an audit event in the mail's transaction, so a test can see that a refused mail's work was rolled
back. A text starting with "refuse" makes it refuse the mail; one starting with "crash" makes it fail.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.plugin import InboundMail, MailHandler, MailRefused, hookimpl, record_audit_event

RECEIVED: list[tuple[str, InboundMail]] = []
REFUSAL = _l("This thread is closed to mail.")


def take(mail: InboundMail, thread: str) -> None:
    """Keep the mail, or refuse or fail as its text asks, after doing some work that must roll back."""
    record_audit_event("mailtest.received", None, thread=thread)
    if mail.text.startswith("refuse"):
        raise MailRefused(REFUSAL)
    if mail.text.startswith("crash"):
        raise RuntimeError("the handler broke")
    RECEIVED.append((thread, mail))


def take_new(mail: InboundMail) -> None:
    """A mail to the plain support address: kept as thread "new"."""
    take(mail, "new")


@hookimpl
def portal_mail_handlers() -> list[MailHandler]:
    """One handler, taking replies and new mail."""
    return [MailHandler("mailtest", on_reply=take, on_new=take_new)]
