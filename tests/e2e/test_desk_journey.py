"""The help desk from end to end in real browsers, with real mail in between.

A customer opens a ticket; the agent hears of it through the bell and follows the notification to the
ticket; the agent answers with a macro (a canned reply that also sets status, priority and category);
the customer answers the notification mail, delivered through the portal's real SMTP receiver, and
only the new text lands on the ticket; the agent resolves it; and the customer rates the resolution
from the one-click link in the resolution mail, which the ticket page then shows.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, Locator, Page, expect

from portal.testing import UserRecord, read_outbox, text_of
from portal.testing.browser import BrowserProblems, LiveServer, sign_in_page, watched_page

pytestmark = [pytest.mark.e2e, pytest.mark.plugins("tickets")]

SUBJECT = "My order arrived broken"
MACRO_TEXT = "We are sending a replacement today. Please tell us when it arrives."
MAILED_TEXT = "The replacement arrived this morning and it works."
ATTRIBUTION = "On Tuesday, Support wrote:"


def isolated(text: str) -> str:
    """``text`` as the ``isolated_text`` filter shows it in an option: between FSI and PDI, so a title
    in another script never reorders the text around it."""
    return f"\u2068{text}\u2069"


def fact(page: Page, name: str) -> Locator:
    """The value a staff ticket page shows for ``name`` ("Status", "Priority"…) in its list of facts."""
    return page.locator(f"dl.ticket-facts dt:text-is('{name}') + dd")


def mail_to(app: Flask, address: str, subject_start: str) -> EmailMessage:
    """The newest mail in the outbox to ``address`` whose subject starts with ``subject_start``."""
    found = [
        message
        for message in read_outbox(app)
        if address in str(message["To"]) and str(message["Subject"]).startswith(subject_start)
    ]
    assert found, f"no mail to {address} about {subject_start!r}"
    return found[-1]


def rating_path(message: EmailMessage, label: str) -> str:
    """The path of the one-click rating link the mail's plain text shows after ``label``."""
    match = re.search(re.escape(label) + r": https?://[^/\s]+(/tickets/rate/\S+)", text_of(message))
    assert match, f"no rating link {label!r} in: {text_of(message)}"
    return match.group(1)


def answer_by_mail(notification: EmailMessage, sender: str, text: str) -> EmailMessage:
    """The customer's answer to ``notification``: ``text`` on top, the mail quoted below it as mail
    programs do, addressed to the mail's Reply-To."""
    reply_to = str(notification["Reply-To"])
    assert "+tickets-" in reply_to, f"no reply address in {dict(notification.items())}"
    quoted = "\n".join(f"> {line}" for line in text_of(notification).splitlines())
    answer = EmailMessage()
    answer["From"] = f"Leila Karimi <{sender}>"
    answer["To"] = reply_to
    answer["Subject"] = f"Re: {notification['Subject']}"
    answer["Message-ID"] = make_msgid(domain="customer.example")
    answer["In-Reply-To"] = str(notification["Message-ID"])
    answer.set_content(f"{text}\n\n{ATTRIBUTION}\n{quoted}\n")
    return answer


def deliver(port: int, sender: str, message: EmailMessage) -> None:
    """Hand ``message`` from ``sender`` to the SMTP receiver on ``port``, as a mail server would."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail(sender, [str(message["To"])], message.as_bytes())


def add_macro(staff: Page, title: str) -> None:
    """Keep a canned reply that also makes the ticket wait on the customer, high priority, a complaint."""
    staff.goto("/staff/tickets/canned")
    staff.get_by_label("Title", exact=True).fill(title)
    staff.get_by_label("Reply text", exact=True).fill(MACRO_TEXT)
    staff.get_by_label("Also set the status").select_option("waiting")
    staff.get_by_label("Also set the priority").select_option("high")
    staff.get_by_label("Also set the category").select_option("complaint")
    staff.get_by_role("button", name="Save").click()
    expect(staff.get_by_text("Canned reply saved.")).to_be_visible()


def test_notified_macro_answer_mailed_reply_resolve_and_rate_from_the_mail(
    app: Flask,
    live_server: LiveServer,
    page: Page,
    browser: Browser,
    browser_problems: BrowserProblems,
    make_user: Callable[..., UserRecord],
    mail_in_port: int,
) -> None:
    customer = make_user(name="Leila Karimi")
    agent = make_user("agent", name="Agent Omid")
    staff = watched_page(browser, live_server, browser_problems)
    sign_in_page(staff, live_server, agent)
    add_macro(staff, "Replacement on its way")
    expect(staff.get_by_role("link", name="Notifications", exact=True)).to_be_visible()  # nothing unread

    # 1. The customer opens a ticket.
    sign_in_page(page, live_server, customer)
    page.goto("/tickets/new")
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Category").select_option("problem")
    page.get_by_label("Message").fill("The glass was cracked.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    ticket_id = int(urlsplit(page.url).path.rstrip("/").split("/")[-1])

    # 2. The agent's bell shows the new ticket; its notification leads to the staff ticket page.
    staff.reload()
    staff.get_by_role("link", name="Notifications, 1 unread").click()
    staff.get_by_role("link", name=f"New ticket #{ticket_id} “{SUBJECT}”").click()
    expect(staff.get_by_role("heading", name=f"#{ticket_id} {SUBJECT}")).to_be_visible()
    expect(staff.get_by_text("The glass was cracked.")).to_be_visible()
    expect(staff.get_by_role("link", name="Notifications", exact=True)).to_be_visible()

    # 3. The agent answers with the macro: its text is sent and the ticket changes as it says.
    staff.get_by_label("Your reply").fill("Hello Leila, sorry about the glass.")
    staff.get_by_label("Insert a canned reply").select_option(label=isolated("Replacement on its way"))
    staff.get_by_role("button", name="Send with macro").click()
    expect(staff.get_by_text("Reply sent with the macro “Replacement on its way”.")).to_be_visible()
    staff_reply = staff.locator(".ticket-message.from-staff .ticket-message-body")
    expect(staff_reply).to_contain_text("Hello Leila, sorry about the glass.")
    expect(staff_reply).to_contain_text(MACRO_TEXT)
    expect(fact(staff, "Status")).to_have_text("Waiting on customer")
    expect(fact(staff, "Priority")).to_have_text("High")
    expect(fact(staff, "Category")).to_have_text("Complaint")

    # 4. The customer answers the reply's mail; only the new text reaches the ticket.
    notification = mail_to(app, customer.email, "New reply to your ticket")
    assert MACRO_TEXT in text_of(notification)
    deliver(mail_in_port, customer.email, answer_by_mail(notification, customer.email, MAILED_TEXT))
    staff.reload()
    mailed = staff.locator(".ticket-message:not(.from-staff) .ticket-message-body").last
    expect(mailed).to_have_text(MAILED_TEXT)
    expect(staff.get_by_text(ATTRIBUTION)).to_have_count(0)
    expect(staff.locator(".ticket-message-body", has_text=MACRO_TEXT)).to_have_count(1)
    expect(fact(staff, "Status")).to_have_text("Open")

    # 5. The agent resolves the ticket.
    staff.get_by_label("Status").select_option("resolved")
    staff.get_by_role("button", name="Change status").click()
    expect(staff.get_by_text("The ticket is resolved.")).to_be_visible()

    # 6. The customer rates from the resolution mail: the link confirms, only the form's POST stores.
    resolution = mail_to(app, customer.email, f"Your ticket “{SUBJECT}” is now: Resolved")
    page.goto(rating_path(resolution, "5 – Completely"))
    expect(page.get_by_role("heading", name="Did this solve your problem?")).to_be_visible()
    expect(page.get_by_role("radio", name="5 Completely")).to_be_checked()
    staff.reload()
    expect(fact(staff, "Rating")).to_have_count(0)
    page.get_by_label("Comment").fill("Quick and kind.")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", name="Thank you for your rating.")).to_be_visible()
    page.get_by_role("link", name=f"Open ticket #{ticket_id}").click()
    expect(page.get_by_text("You rated the resolution 5 out of 5.")).to_be_visible()
    staff.reload()
    expect(fact(staff, "Rating")).to_have_text("5/5: Quick and kind.")

    staff.context.close()
    assert browser_problems.all() == []
