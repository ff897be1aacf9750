"""The staff console's customers: a searchable list, and one 360° page per person made of panels.

Every department sees the same customer: the page about a person gathers a panel from the core and
from every enabled plugin (``portal_customer_panels``). Staff accounts can be looked up too, since an
agent's own account is where a colleague checks their language or last sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import Row, or_, select
from wtforms import HiddenField, SearchField, SelectChoice, SelectField
from wtforms.validators import Length, ValidationError

from portal.access import agent
from portal.accounts.forms import LANGUAGE_NAMES
from portal.accounts.models import User
from portal.contributions import Panel
from portal.customer_fields import postal_address
from portal.database import db
from portal.paging import Page, keyset_page, read_cursor
from portal.plugin_manager import plugin_host
from portal.staff.core_panels import organization_panel, timeline_panel

bp = Blueprint("staff_customers", __name__, url_prefix="/staff/customers")

PAGE_SIZE = 50
SEARCH_MAX = 100
ROLE_FILTERS = ("customer", "agent", "admin", "all")
ROLE_LABELS = {"customer": _l("Customer"), "agent": _l("Agent"), "admin": _l("Administrator")}


# --- the list --------------------------------------------------------------------------------------


# The list's order, newest first: join time, then id for people who joined in the same instant.
LIST_ORDER = (User.created_at, User.id)


def _strip(value: str | None) -> str:
    return (value or "").strip()


class CustomerFilterForm(FlaskForm):
    """The list's search and filters, sent with GET so a filtered page can be bookmarked."""

    class Meta:
        csrf = False  # reading a list changes nothing

    q = SearchField(
        _l("Name or email"),
        validators=[Length(max=SEARCH_MAX, message=_l("Search with at most %(max)d characters."))],
        filters=[_strip],
        render_kw={"maxlength": SEARCH_MAX},
    )
    role = SelectField(
        _l("Role"),
        default="customer",
        choices=[
            SelectChoice("customer", _l("Customers")),
            SelectChoice("agent", _l("Agents")),
            SelectChoice("admin", _l("Administrators")),
            SelectChoice("all", _l("Everyone")),
        ],
        validate_choice=False,
    )
    before = HiddenField()

    def validate_role(self, field: SelectField) -> None:
        if field.data not in ROLE_FILTERS:
            raise ValidationError(_l("Choose a role from the list."))

    def validate_before(self, field: HiddenField) -> None:
        """Staff follow these links from the list itself, so a broken one says so instead of starting over."""
        if field.data and read_cursor(field.data, LIST_ORDER) is None:
            raise ValidationError(_l("That page link is broken. Start again from the first page."))


def customer_page(search: str, role: str, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """People matching the search, newest first, the page at ``cursor``, in one statement.

    Search is a case-insensitive substring of the name or the email address (ILIKE on PostgreSQL;
    SQLite folds ASCII letters only). Only the columns the list shows are read: no password hashes
    or session tokens travel with a list.
    """
    query = select(
        User.id,
        User.name,
        User.email,
        User.role,
        User.email_verified_at,
        User.created_at,
        User.last_login_at,
    )
    query = query.where(User.is_integration.is_(False))  # integrations have their own page
    if role != "all":
        query = query.where(User.role == role)
    if search:
        query = query.where(
            or_(User.name.icontains(search, autoescape=True), User.email.icontains(search, autoescape=True))
        )
    return keyset_page(query, LIST_ORDER, cursor=cursor, size=size, descending=True, scalars=False)


def find_customers(search: str, limit: int = 10) -> list[Row[Any]]:
    """The first ``limit`` customers matching ``search`` as the staff list finds them, newest first.

    For staff pages of plugins that pick a customer (a ticket opened for someone who phoned): rows
    with ``id``, ``name``, ``email``, ``role``, ``email_verified_at``, ``created_at``, ``last_login_at``.
    """
    return list(customer_page(search.strip()[:SEARCH_MAX], "customer", None, size=limit).items)


@bp.route("/")
@agent
def index():
    """The list of people, searchable and filtered by role, a page at a time."""
    form = CustomerFilterForm(formdata=request.args)
    if not form.validate():
        return render_template("staff/customers/index.html", form=form, page=None), 400
    page = customer_page(form.q.data, form.role.data, form.before.data or None)
    return render_template("staff/customers/index.html", form=form, page=page, role_labels=ROLE_LABELS)


# --- the 360° page ---------------------------------------------------------------------------------

PanelSource = Callable[[User, User], list[Panel]]


def profile_panel(customer: User, viewer: User) -> list[Panel]:
    """Who the person is and how they use the portal, as their account records it."""
    return [
        Panel(
            name="profile",
            title=_("Profile"),
            template="staff/customers/_profile.html",
            context={
                "person": customer,
                "role_label": ROLE_LABELS[customer.role],
                "language_name": LANGUAGE_NAMES.get(customer.language, customer.language),
                "address": postal_address(customer)["address"],
            },
            order=10,
        )
    ]


# The core's own panels. They reach the page the same way plugins' panels do, so the contract is
# proven by the core itself; to add one, write a function like profile_panel and list it here.
CORE_PANELS: tuple[PanelSource, ...] = (profile_panel, organization_panel, timeline_panel)


def collect_panels(customer: User, viewer: User) -> list[Panel]:
    """The core's panels and every enabled plugin's, in the order the page shows them."""
    panels = [panel for source in CORE_PANELS for panel in source(customer, viewer)]
    for group in plugin_host().hook.portal_customer_panels(customer=customer, viewer=viewer):
        panels.extend(group or [])
    return sorted(panels, key=lambda panel: (panel.order, panel.name))


@bp.route("/<int:user_id>")
@agent
def show(user_id: int):
    """The 360° page: everything the portal knows about one person, a panel per source."""
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    panels = [
        (panel, Markup(render_template(panel.template, **panel.context)))  # noqa: S704  (autoescaped output)
        for panel in collect_panels(person, current_user._get_current_object())
    ]
    return render_template("staff/customers/show.html", person=person, panels=panels)
