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
