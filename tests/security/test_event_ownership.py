"""Events belong to their emitter: nobody mints another's events, and an effect happens once per fact.

Loyalty pays points for ``tickets.rated``; if any installed plugin could emit that name, any plugin
author could pay customers. tests/security/event_poacher_plugin.py and foreign_event_plugin.py play the
plugin that tries, installed as stand-ins for third-party distributions (building a real package for
each broken case would be slow and leave it installed for the rest of the run).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from typing import ClassVar

import event_poacher_plugin
import foreign_event_plugin
import pytest
from flask import Flask
from sqlalchemy import select, update

from plugins.loyalty import ledger
from plugins.loyalty.models import EarningRule
from plugins.tickets.events import TicketRated
from portal import create_app, plugin_manager
from portal.core_events import EmailVerified
from portal.database import db
from portal.events import StoredEvent
from portal.plugin import DomainEvent, EventContractError
from portal.plugin_manager import ENTRY_POINT_GROUP, PluginError
from portal.testing import create_user
from portal.testing.events import emit_as_owner


def install_stand_in(monkeypatch: pytest.MonkeyPatch, name: str, module: str) -> None:
    """Make ``module`` (a real module in tests/) look installed as the plugin ``name``."""
    installed = plugin_manager.entry_points
    stand_in = EntryPoint(name=name, value=module, group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(
        plugin_manager, "entry_points", lambda **selection: [*installed(**selection), stand_in]
    )


@pytest.fixture
def poacher_app(app_config: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app with loyalty paying 15 points a rating, and the poacher plugin installed and enabled."""
    install_stand_in(monkeypatch, "poacher", "event_poacher_plugin")
    app = create_app({**app_config, "PORTAL_PLUGINS": ["loyalty", "poacher"]})
    with app.app_context():
        db.session.execute(
            update(EarningRule).where(EarningRule.event_name == "tickets.rated").values(points=15)
        )
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def stored_names(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(StoredEvent.name).order_by(StoredEvent.id)))


def balance(app: Flask, user_id: int) -> int:
    with app.app_context():
        return ledger.balance(user_id)


def test_a_plugin_minting_another_plugins_event_is_refused_and_loyalty_pays_nothing(poacher_app):
    person = create_user(poacher_app)
    with poacher_app.app_context():
        with pytest.raises(
            EventContractError, match=r"may not emit 'tickets\.rated': only the 'tickets' plugin"
        ):
            event_poacher_plugin.mint_rating(ticket_id=1, customer_id=person.id)
        db.session.rollback()
        with pytest.raises(EventContractError, match=r"may not emit 'core\.email_verified': only the core"):
            event_poacher_plugin.mint_verification(person.id)
        db.session.rollback()
        event_poacher_plugin.wave(person.id)  # its own declared event goes through
        db.session.commit()
    assert stored_names(poacher_app) == ["poacher.waved"]
    assert balance(poacher_app, person.id) == 0


def test_emitting_an_undeclared_event_is_refused(poacher_app):
    with poacher_app.app_context():
        with pytest.raises(EventContractError, match=r"'poacher\.whispered' .* is not declared"):
            event_poacher_plugin.whisper()
        with pytest.raises(TypeError, match="takes an event instance declared as a DomainEvent"):
            event_poacher_plugin.emit_by_name()
        db.session.rollback()
    assert stored_names(poacher_app) == []


@dataclass(frozen=True)
class Noted(DomainEvent):
    """A note was kept (a well-formed declaration of the stand-in plugin)."""

    name: ClassVar[str] = "foreign.noted"


@dataclass(frozen=True)
class NotedAgain(DomainEvent):
    """The same name a second time."""

    name: ClassVar[str] = "foreign.noted"


@dataclass
class Mutable(DomainEvent):
    """Not frozen, so a handler could change what the next one receives."""

    name: ClassVar[str] = "foreign.mutable"


@dataclass(frozen=True)
class Undocumented(DomainEvent):
    name: ClassVar[str] = "foreign.undocumented"


@dataclass(frozen=True)
class Verified(DomainEvent):
    """The core's name."""

    name: ClassVar[str] = "core.email_verified"


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (
            None,
            r"'foreign' declares events wrongly: .*'tickets\.rated_again', outside its own namespace",
        ),
        ([Verified], r"'core\.email_verified', outside its own namespace 'foreign\.'"),
        (
            [Noted, NotedAgain],
            r"'foreign' declares the event 'foreign\.noted', which 'foreign' already declares",
        ),
        ([Mutable], r"Mutable must be decorated with @dataclass\(frozen=True\)"),
        ([dict], r"is not a subclass of portal\.plugin\.DomainEvent"),
        ([Undocumented], r"Undocumented needs a docstring saying when the event happens"),
    ],
)
def test_a_foreign_duplicate_or_malformed_declaration_stops_the_start(
    app_config, monkeypatch, declared, message
):
    install_stand_in(monkeypatch, "foreign", "foreign_event_plugin")
    if declared is not None:
        monkeypatch.setattr(foreign_event_plugin, "DECLARED", declared)
    with pytest.raises(PluginError, match=message):
        create_app(dict(app_config))


@pytest.mark.plugins("loyalty")
def test_the_same_fact_emitted_twice_credits_loyalty_once(app, make_user):
    person = make_user()
    with app.app_context():
        db.session.execute(
            update(EarningRule).where(EarningRule.event_name == "tickets.rated").values(points=15)
        )
        db.session.commit()
    for comment in ("first", "the same rating, announced again"):  # two events, one business fact
        with app.app_context():
            emit_as_owner(
                TicketRated(ticket_id=42, customer_id=person.id, rating=5, comment=comment),
                customer_id=person.id,
            )
            db.session.commit()
    with app.app_context():
        emit_as_owner(EmailVerified(user_id=person.id), customer_id=person.id)
        emit_as_owner(EmailVerified(user_id=person.id), customer_id=person.id)
        db.session.commit()
    names = stored_names(app)
    assert names.count("tickets.rated") == 2 and names.count("core.email_verified") == 2
    assert names.count("loyalty.points_earned") == 2, "one award per fact"
    assert balance(app, person.id) == 15 + 50, "one rating award and one welcome award"
