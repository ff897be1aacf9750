"""Stylesheets and scripts a plugin adds to the pages it serves, and only to those.

A plugin's CSS and JS belong on its own pages; in every page's head they would cost every page a
download and let one plugin's rules leak into another's pages. The layout asks the enabled plugins
for the endpoint being rendered and links what they return. The Content-Security-Policy allows only
this portal's own files, so a URL elsewhere is refused at render, loudly, instead of being blocked
silently by the browser.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from flask import has_request_context, request, url_for

from portal.plugin_manager import PluginError, plugin_host
from portal.urls import local_path

# The core's pages that show what plugins contribute: a plugin styling its widget, panel or a slot's
# content names these beside its own pages.
DASHBOARD_PAGE = "dashboard.home"  # the customer's dashboard: widgets and the dashboard_top slot
CUSTOMER_360_PAGE = "staff_customers.show"  # the staff's page of one customer: panels
STAFF_HOME_PAGE = "staff.home"  # the staff console's front page: the staff_home slot


@dataclass(frozen=True)
class PageAssets:
    """What a plugin adds to one page: stylesheet URLs and script URLs (loaded with ``defer``).

    Build them with ``url_for("<blueprint>.static", filename=...)``: paths on this portal only.
    """

    css: tuple[str, ...] = ()
    js: tuple[str, ...] = ()


def page_assets(endpoint: str | None = None) -> PageAssets:
    """The CSS and JS every enabled plugin adds to the page of ``endpoint`` (the current request's).

    Each URL once, in the plugins' order; a URL that is not a path on this portal raises PluginError.
    """
    if endpoint is None:
        endpoint = request.endpoint if has_request_context() else None
    if not endpoint:
        return PageAssets()
    css: list[str] = []
    js: list[str] = []
    for plugin_name, assets in plugin_host().call_each("portal_page_assets", endpoint=endpoint):
        if not isinstance(assets, PageAssets):
            raise PluginError(
                f"Plugin {plugin_name!r} returned {assets!r} from portal_page_assets; "
                "return a portal.plugin.PageAssets or None."
            )
        for found, urls in ((css, assets.css), (js, assets.js)):
            for url in urls:
                _check_same_origin(plugin_name, url)
                if url not in found:
                    found.append(url)
    return PageAssets(css=tuple(css), js=tuple(js))


def _check_same_origin(plugin_name: str, url: object) -> None:
    if not isinstance(url, str) or local_path(url) is None:
        raise PluginError(
            f"Plugin {plugin_name!r} asks portal_page_assets to load {url!r}; the portal's "
            "Content-Security-Policy allows only its own files. Serve it from the plugin's static "
            "folder and pass url_for('<blueprint>.static', filename=...)."
        )


def is_plugin_page(endpoint: str, plugin: str) -> bool:
    """Whether ``endpoint`` is a view of one of ``plugin``'s blueprints.

    Asked of the plugin host, not guessed from the name's prefix, so a plugin named ``tickets_extra``
    is never taken for ``tickets``.
    """
    blueprint, _dot, _view = endpoint.rpartition(".")
    return plugin_host().blueprint_owner.get(blueprint) == plugin


def plugin_stylesheet(
    endpoint: str, *, plugin: str, filename: str, also_on: Collection[str] = ()
) -> PageAssets | None:
    """A plugin's stylesheet (in its ``<plugin>.static`` folder) on its pages and the shared ones it adds to.

    Most plugins have one small stylesheet; this keeps each one's ``portal_page_assets`` one line, and
    keeps it off the pages the plugin has nothing on.
    """
    if is_plugin_page(endpoint, plugin) or endpoint in also_on:
        return PageAssets(css=(url_for(f"{plugin}.static", filename=filename),))
    return None
