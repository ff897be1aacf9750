"""Absolute links built where there is no request: a scheduled task, then the mail it sends."""

from __future__ import annotations

from datetime import timedelta
from importlib.metadata import EntryPoint

import pytest
from sqlalchemy import select

from portal import create_app, plugin_manager
from portal.accounts.models import User
from portal.database import db
from portal.plugin import ScheduledTask, external_url, hookimpl, notify
from portal.plugin_manager import ENTRY_POINT_GROUP
from portal.testing import create_user, read_outbox, text_of

links: list[str] = []


def remind_everyone() -> None:
    """What a plugin's reminder does from ``portal tick``: link to a page and tell the customer."""
    links.append(external_url("notifications.preferences"))
    for user in db.session.scalars(select(User)):
        notify(user, "core.account", "A reminder from the tick")


class ReminderPlugin:
    """Stands in for an installed plugin with a scheduled task."""

    @staticmethod
    @hookimpl
    def portal_scheduled_tasks() -> list[ScheduledTask]:
        return [ScheduledTask(name="reminder.remind", every=timedelta(hours=1), function=remind_everyone)]


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://portal.example.com", "https://portal.example.com/account/notifications"),
        ("https://example.com/help/", "https://example.com/help/account/notifications"),
    ],
)
def test_a_scheduled_task_links_to_the_configured_public_address(app_config, monkeypatch, base_url, expected):
    installed = plugin_manager.entry_points
    stand_in = EntryPoint(name="reminder", value=f"{__name__}:ReminderPlugin", group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(plugin_manager, "entry_points", lambda **kw: [*installed(**kw), stand_in])
    app = create_app({**app_config, "PORTAL_PLUGINS": ["reminder"], "PORTAL_BASE_URL": base_url})
    create_user(app, email="ada@example.com")
    links.clear()

    result = app.test_cli_runner().invoke(args=["tick"])

    assert result.exit_code == 0, result.output
    assert links == [expected], "no request: the host and path prefix come from PORTAL_BASE_URL"
    [mail] = read_outbox(app)
    assert expected in text_of(mail), "the mail the tick sent links there too"
    assert "localhost" not in text_of(mail) and "127.0.0.1" not in text_of(mail)
