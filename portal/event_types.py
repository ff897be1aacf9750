"""The declared kinds of domain event: who owns each name, and the typed payload it carries.

Every event is a frozen dataclass subclassing ``DomainEvent``, declared by its owner: the core declares
``core.*`` (portal/core_events.py), each plugin declares its own ``<plugin name>.*`` through the
``portal_event_types`` hook. The declarations are collected once when the app is created, and a
foreign, duplicate or malformed declaration stops the start: a plugin cannot claim another's name, so
nobody can mint the events another plugin pays or counts on.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

from flask import Flask, current_app
from flask_babel import LazyString
from flask_babel import gettext as _
from markupsafe import Markup

from portal.plugin_manager import PluginError, plugin_host
from portal.sentences import sentence

log = logging.getLogger(__name__)

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
EVENT_NAME_MAX = 100
CORE = "core"
CORE_PACKAGE = "portal"
EXTENSION_KEY = "portal_event_types"


class EventContractError(RuntimeError):
    """An event emitted against the contract: not declared, or emitted by code that does not own it."""


class DomainEvent:
    """Something that happened, as its owner declares it: subclass this as a frozen dataclass.

    The class's ``name`` (a ClassVar) is ``<owner>.<verb>``; its fields are the payload, stored as JSON,
    so keep to ids and plain values (str, int, float, bool, None). Its docstring says when it happens;
    its ``label`` (optional, a ``lazy_gettext`` string) names it for staff choosing among events.

    Set ``anonymous_without_customer`` on a kind that leaves the event's customer out to keep a promise
    of anonymity (an anonymous survey's answer): such an event is then kept out of what the portal
    hands outside (the API's event feed), since even its moment could name the person.
    """

    name: ClassVar[str]
    label: ClassVar[str | LazyString]
    anonymous_without_customer: ClassVar[bool] = False
    # Declared, not set: every event type is a dataclass, so type checkers may pass one to
    # ``dataclasses.fields`` and ``asdict`` (the dataclass decorator fills it in on each subclass).
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    @property
    def fact(self) -> str | None:
        """The business fact the event records, unique to it (``rated:42``); ``None`` when facts repeat.

        Effects that must happen once per fact (points for rating a ticket) key on it, so the same fact
        emitted twice, by a race or a bug, still has one effect.
        """
        return None

    def describe(self) -> Markup:
        """What happened, as one translated sentence for staff (the 360° activity), with the values isolated.

        Override it with ``sentence(_("Ticket #%(ticket)s was resolved."), ticket=self.ticket_id)``:
        the message through ``_()`` without values, the values given to ``sentence``, which escapes them
        and wraps text in ``<bdi>``. Keep to what the payload holds, since it is called once per row.
        The default is a generic sentence naming the event, so a type without words still reads.
        """
        return generic_description(self.name)

    def link(self) -> str | None:
        """Where staff see the thing the event is about (a ``url_for`` to a staff page); ``None`` for none.

        Called only while the owner is enabled, inside a request, so ``url_for`` works.
        """
        return None


def event_label(event_type: type[DomainEvent]) -> str:
    """What staff read when choosing an event (a survey's trigger, a loyalty rule): its translated label.

    A type without a ``label`` is named by its ``name``, so an event a plugin left unnamed still shows.
    """
    return str(getattr(event_type, "label", None) or event_type.name)


def generic_description(name: str) -> Markup:
    """The sentence for an event nobody put into words: a type without ``describe`` or one not declared."""
    return sentence(_("Recorded: %(event)s"), event=name)


@dataclass(frozen=True)
class DeclaredEvent:
    """One declared event kind: its class and its owner (``core`` or a plugin's name)."""

    event_type: type[DomainEvent]
    owner: str
    package: str


class EventTypes:
    """Every declared event kind of one app, by name."""

    def __init__(self, declared: Mapping[str, DeclaredEvent]) -> None:
        self.by_name = dict(sorted(declared.items()))

    def declaration(self, name: str) -> DeclaredEvent | None:
        return self.by_name.get(name)

    def anonymous_without_customer(self) -> list[str]:
        """The kinds whose event with no customer is someone's anonymous act: feeds leave those out."""
        return [
            name for name, declared in self.by_name.items() if declared.event_type.anonymous_without_customer
        ]

    def owners(self) -> list[str]:
        """The owners in reference order: the core first, then plugins by name."""
        found = {declared.owner for declared in self.by_name.values()}
        return sorted(found, key=lambda owner: (owner != CORE, owner))

    def rebuild(self, name: str, payload: Mapping[str, Any]) -> DomainEvent | None:
        """The typed event a stored payload holds; ``None`` when its kind is no longer declared or changed.

        Keys the class no longer has are ignored and fields with defaults may be missing, so events
        stored by an older version of a plugin still arrive typed when the change was compatible.
        """
        declared = self.by_name.get(name)
        if declared is None:
            return None
        fields = {field.name: field for field in dataclasses.fields(declared.event_type)}
        values = {key: _as_declared(fields[key], value) for key, value in payload.items() if key in fields}
        try:
            return declared.event_type(**values)
        except TypeError as error:
            log.warning("The stored payload of %s no longer fits its declaration: %s", name, error)
            return None


def _as_declared(field: dataclasses.Field[Any], value: Any) -> Any:
    """JSON has no tuples: give a tuple field back the tuple it was emitted with."""
    annotation = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
    if isinstance(value, list) and annotation.startswith("tuple"):
        return tuple(value)
    return value


def declaration_problems(event_type: object, owner: str) -> list[str]:
    """What is wrong with one declared event class, for the start-up error that names its plugin."""
    if not (isinstance(event_type, type) and issubclass(event_type, DomainEvent)):
        return [f"{event_type!r} is not a subclass of portal.plugin.DomainEvent"]
    label = event_type.__qualname__
    problems = []
    params = getattr(event_type, "__dataclass_params__", None)
    if params is None or not params.frozen or "__dataclass_fields__" not in vars(event_type):
        problems.append(f"{label} must be decorated with @dataclass(frozen=True)")
    name = vars(event_type).get("name")
    if not isinstance(name, str) or len(name) > EVENT_NAME_MAX or not EVENT_NAME.match(name):
        problems.append(
            f"{label}.name must be '<{owner}>.<verb>' in lowercase letters, digits and underscores, "
            f"at most {EVENT_NAME_MAX} characters (got {name!r})"
        )
    elif name.split(".", 1)[0] != owner:
        problems.append(f"{label} declares {name!r}, outside its own namespace '{owner}.'")
    doc = (vars(event_type).get("__doc__") or "").strip()
    if not doc or doc.startswith(f"{event_type.__name__}("):  # @dataclass writes the signature in its place
        problems.append(f"{label} needs a docstring saying when the event happens")
    return problems


def _collect(owner: str, package: str, types: list[Any], declared: dict[str, DeclaredEvent]) -> None:
    who = "The core" if owner == CORE else f"Plugin {owner!r}"
    for event_type in types:
        problems = declaration_problems(event_type, owner)
        if problems:
            raise PluginError(f"{who} declares events wrongly: " + "; ".join(problems) + ".")
        known = declared.get(event_type.name)
        if known is not None:
            raise PluginError(
                f"{who} declares the event {event_type.name!r}, which "
                f"{'the core' if known.owner == CORE else repr(known.owner)} already declares."
            )
        declared[event_type.name] = DeclaredEvent(event_type=event_type, owner=owner, package=package)


def load_declared_events(app: Flask) -> None:
    """Collect the core's and every installed plugin's event declarations once, at start.

    Every installed plugin is asked, enabled or not, since a switched-off plugin's stored events still
    need their types. A plugin naming an event outside its own namespace, or twice, stops the start.
    """
    from portal.core_events import CORE_EVENTS

    declared: dict[str, DeclaredEvent] = {}
    _collect(CORE, CORE_PACKAGE, list(CORE_EVENTS), declared)
    host = plugin_host(app)
    with app.app_context():
        answers = host.call_each("portal_event_types", enabled_only=False)
    for plugin_name, types in sorted(answers, key=lambda answer: answer[0]):
        _collect(plugin_name, plugin_package(host.installed[plugin_name].module), list(types), declared)
    app.extensions[EXTENSION_KEY] = EventTypes(declared)


def declared_events(app: Flask | None = None) -> EventTypes:
    """The app's declared event kinds (by default the current app's)."""
    return (app or current_app).extensions[EXTENSION_KEY]


def plugin_package(module: ModuleType) -> str:
    """The package a plugin's code lives in: its entry point's package, or the package holding that module.

    An entry point may name the package (``plugins.tickets``) or a module inside it (``notes.hooks``);
    either way the plugin's events may be emitted from anywhere in that package.
    """
    if hasattr(module, "__path__"):
        return module.__name__
    return module.__package__ or module.__name__


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def check_emitter(event: object, module: str) -> DeclaredEvent:
    """Refuse an event that is not a declared kind, or that code outside its owner tries to emit.

    ``module`` is the ``__name__`` of the module that called ``emit``: the owner's package for a
    plugin's event, the core (``portal.*``, and no installed plugin's package inside it) for ``core.*``.
    """
    if not isinstance(event, DomainEvent):
        raise TypeError(
            f"emit() takes an event instance declared as a DomainEvent (such as TicketRated(ticket_id=1)), "
            f"not {type(event).__name__}."
        )
    declared = declared_events().declaration(type(event).name)
    if declared is None or declared.event_type is not type(event):
        raise EventContractError(
            f"The event {type(event).name!r} ({type(event).__module__}.{type(event).__qualname__}) is not "
            "declared: return its class from your plugin's portal_event_types hook."
        )
    plugin_packages = [plugin_package(plugin.module) for plugin in plugin_host().installed.values()]
    if declared.owner == CORE:
        owned = in_package(module, CORE_PACKAGE) and not any(in_package(module, p) for p in plugin_packages)
    else:
        owned = in_package(module, declared.package)
    if not owned:
        raise EventContractError(
            f"{module!r} may not emit {declared.event_type.name!r}: only "
            f"{'the core' if declared.owner == CORE else f'the {declared.owner!r} plugin'} emits its events. "
            "Declare and emit an event of your own plugin instead."
        )
    return declared
