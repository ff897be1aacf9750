"""The small data types plugins return from hooks: data, never HTML, wherever the core can render it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from flask import url_for

if TYPE_CHECKING:
    from portal.mail_in.inbound import InboundMail


@dataclass(frozen=True)
class NavItem:
    """A link in the customer navigation or the staff console navigation.

    ``label`` should be a lazy translation (``lazy_gettext``) so it renders in the reader's language.
    Items sort by ``order``, then label. ``icon`` names an icon of the design system's sprite
    (portal/icons.py, docs/design-system.md) drawn before the label; None draws none.
    """

    label: Any
    endpoint: str
    order: int = 100
    url_values: Mapping[str, Any] = field(default_factory=dict)
    icon: str | None = None

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

    ``label`` and ``description`` (lazy translations) tell the person on their email preferences
    page what the kind is about; ``email_by_default`` says whether it comes by email until they choose.
    ``audience`` is who it is for: ``"customer"`` (the default) or ``"staff"`` (agents and
    administrators). Each person is offered only their own audience's kinds (and the core's), and
    ``notify`` refuses a staff kind for a customer, so work meant for staff never reaches a customer.
    """

    kind: str
    label: Any
    description: Any
    email_by_default: bool = True
    audience: str = "customer"


NOTIFICATION_AUDIENCES = ("customer", "staff")


FIGURE_FORMATS = ("integer", "decimal")
CHART_KINDS = ("area", "bar")


@dataclass(frozen=True)
class Figure:
    """One number on the staff console's dashboard (``portal_staff_figures``), drawn as a card.

    ``label`` (a lazy translation) says what is counted; ``value`` is the number now (``None``: not
    known yet, shown as a dash); ``href`` leads to the filtered list behind it, so a figure is always
    a way into the work. ``format`` is "integer" or "decimal" (one decimal), and ``unit`` an optional
    lazy translation with a ``%(value)s`` placeholder ("%(value)s hours") around the formatted value.
    ``series`` is an optional short history, oldest first, as (day or label, number) pairs, drawn as an
    ``chart`` ("area" or "bar") titled ``series_label``; ``previous`` is the same figure for the period
    before, told beside the value. Cards sort by ``order`` (most important first), then label;
    ``name`` is unique on the page (``<plugin>.<thing>``).
    """

    name: str
    label: Any
    value: float | None
    href: str
    format: str = "integer"
    unit: Any = None
    series: Sequence[tuple[date | str, float]] = ()
    series_label: Any = None
    chart: str = "area"
    previous: float | None = None
    order: int = 100

    def __post_init__(self) -> None:
        if self.format not in FIGURE_FORMATS:
            raise ValueError(f"Figure {self.name!r}: format must be one of {FIGURE_FORMATS}")
        if self.chart not in CHART_KINDS:
            raise ValueError(f"Figure {self.name!r}: chart must be one of {CHART_KINDS}")


@dataclass(frozen=True)
class MailHandler:
    """Who takes inbound mail for a plugin (``portal_mail_handlers``), named in its reply addresses.

    ``on_reply(mail, thread)`` is called for a reply to an address made by
    ``reply_address(name, thread, recipient)`` once the core has verified it belongs to the sender;
    ``on_new(mail)``, if given, for a mail to the plain support address (one handler may have it).
    Both run inside a transaction: add to ``db.session``, do not commit, raise ``MailRefused`` to
    refuse. ``name`` is lowercase letters, digits and ``_``, unique across plugins.
    """

    name: str
    on_reply: Callable[[InboundMail, str], None]
    on_new: Callable[[InboundMail], None] | None = None
