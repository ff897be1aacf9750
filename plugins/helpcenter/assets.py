"""Which of the plugin's files each page loads, so no page downloads what it does not use."""

from __future__ import annotations

from flask import url_for

from portal.plugin import CUSTOMER_360_PAGE, DASHBOARD_PAGE, PageAssets, is_plugin_page

# Pages of other plugins the help center adds to: its suggestions and its tools for agents.
TICKET_FORM_PAGE = "tickets.new"
STAFF_TICKET_PAGE = "tickets_staff.staff_show"


def page_assets(endpoint: str) -> PageAssets | None:
    """The stylesheet where the plugin shows something; the agents' script beside their reply box."""
    if endpoint == STAFF_TICKET_PAGE:
        return PageAssets(
            css=(url_for("helpcenter.static", filename="helpcenter.css"),),
            js=(url_for("helpcenter.static", filename="agent-tools.js"),),
        )
    if is_plugin_page(endpoint, "helpcenter") or endpoint in (
        TICKET_FORM_PAGE,
        DASHBOARD_PAGE,
        CUSTOMER_360_PAGE,
    ):
        return PageAssets(css=(url_for("helpcenter.static", filename="helpcenter.css"),))
    return None
