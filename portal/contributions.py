"""The small data types plugins return from hooks: data, never HTML, wherever the core can render it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import url_for


@dataclass(frozen=True)
class NavItem:
    """A link in the customer navigation or the staff console navigation.

    ``label`` should be a lazy translation (``lazy_gettext``) so it renders in the reader's language.
    Items sort by ``order``, then label.
    """

    label: Any
    endpoint: str
    order: int = 100
    url_values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return url_for(self.endpoint, **self.url_values)


@dataclass(frozen=True)
class Widget:
    """A dashboard tile that loads on its own from ``endpoint``.

    The endpoint answers an htmx request with a fragment and a plain request with a whole page
    (``portal.plugin.render_widget`` does both), so the dashboard works without JavaScript.
    """

    name: str
    title: Any
    endpoint: str
    order: int = 100
    wide: bool = False

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


@dataclass(frozen=True)
class Panel:
    """A card on a customer's 360° page in the staff console (``portal_customer_panels``).

    The core renders ``template`` with ``context`` inside a card headed ``title`` (a lazy or plain
    translation). ``name`` is unique on the page (``<plugin>.<thing>``); panels sort by ``order``, then
    name, and a ``wide`` panel spans the whole row.
    """

    name: str
    title: Any
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    order: int = 100
    wide: bool = False


@dataclass(frozen=True)
class NotificationType:
    """A kind of notification a plugin sends (``portal_notification_types``), named ``<plugin>.<what>``.

    ``label`` and ``description`` (lazy translations) tell the customer on their email preferences
    page what the kind is about; ``email_by_default`` says whether it comes by email until they choose.
    """

    kind: str
    label: Any
    description: Any
    email_by_default: bool = True
