"""What a kind of approval is, and the kinds on offer now: each enabled plugin's, checked once per unit.

A kind is named after the plugin that declares it (``loyalty.goodwill``), as notification, import and
export kinds are, so two plugins cannot claim the same requests. A switched-off plugin's kinds are
not on offer: its requests wait, and cannot be decided, until it is switched on again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from portal.approvals.models import KIND_MAX
from portal.i18n import gettext_or_source as _
from portal.plugin_info import plugin_info
from portal.plugin_manager import PluginError, plugin_host
from portal.unit_of_work import remembered

if TYPE_CHECKING:
    from portal.accounts.models import User

KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")


class ApprovalRefusedError(ValueError):
    """A request that cannot be asked or decided now; the message says why, for the person who clicked.

    A kind's ``apply`` raises it to refuse an approval (the approver's own limit is too low, the
    customer left): then nothing changes and the request stays pending with the message shown.
    """


@dataclass(frozen=True)
class ApprovalKind:
    """A kind of request a plugin sends for an administrator's approval.

    - ``name``: ``<plugin name>.<what>``, stored on every request of the kind.
    - ``label``: what people read for it, a lazy translation ("Goodwill above the agent's limit").
    - ``describe(payload)``: the request in words for the administrator deciding it (``sentence``).
    - ``apply(payload, approver)``: does what was asked, in ``db.session`` of the approving transaction
      (never commits), as ``approver``; raises ``ApprovalRefusedError`` to refuse.
    - ``declined(payload, decider)`` (optional): told in the declining transaction, for a plugin that
      shows its own requests where it asked them (loyalty's goodwill on a ticket) to stop showing them
      as waiting.
    """

    name: str
    label: Any
    describe: Callable[[dict[str, Any]], str | Markup]
    apply: Callable[[dict[str, Any], User], None]
    declined: Callable[[dict[str, Any], User], None] | None = None


def approval_kinds() -> dict[str, ApprovalKind]:
    """Every kind on offer now, by name: each enabled plugin's, in the order the plugins answer."""
    enabled = plugin_host().enabled()
    return remembered(("portal_approval_kinds", enabled), _collect)


def find_kind(name: str) -> ApprovalKind | None:
    """The kind of this name, or ``None`` when no enabled plugin declares it (switched off, removed)."""
    return approval_kinds().get(name)


def plugin_of(name: str) -> str:
    """The plugin a kind's name belongs to: the part before the first dot."""
    return name.partition(".")[0]


def why_undecidable(name: str) -> str:
    """Why a request of a kind nobody offers now cannot be decided: its plugin is off, or gone."""
    plugin = plugin_of(name)
    if plugin in plugin_host().installed:
        return _(
            "The plugin %(plugin)s is switched off, so this request cannot be decided until it is "
            "switched on again.",
            plugin=str(plugin_info(plugin).display_name),
        )
    return _("No installed plugin handles requests of the kind %(kind)s, so it cannot be decided.", kind=name)


def _collect() -> dict[str, ApprovalKind]:
    found: dict[str, ApprovalKind] = {}
    for owner, kinds in plugin_host().call_each("portal_approval_kinds"):
        for kind in kinds:
            _check_kind(owner, kind)
            if kind.name in found:
                raise PluginError(f"The approval kind {kind.name!r} is declared twice.")
            found[kind.name] = kind
    return found


def _check_kind(owner: str, kind: object) -> None:
    if not isinstance(kind, ApprovalKind):
        raise PluginError(
            f"Plugin {owner!r} returned {kind!r} from portal_approval_kinds; "
            "return a list of portal.plugin.ApprovalKind."
        )
    if not KIND_PATTERN.fullmatch(kind.name) or len(kind.name) > KIND_MAX or plugin_of(kind.name) != owner:
        raise PluginError(
            f"{owner!r} declares the approval kind {kind.name!r}; its name is '{owner}.<what>' in "
            f"lowercase letters, digits and underscores, at most {KIND_MAX} characters."
        )
