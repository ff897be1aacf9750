"""Invisible control characters are dropped from query strings and forms once, as a request arrives.

PostgreSQL text cannot hold NUL, so a NUL typed or pasted into any field or search box was a 500
there; other C0 controls (bell, escape, backspace…) are invisible on every page and only ever arrive
by accident or attack. Dropping them at the edge means no view, form or query has to think about
them, and everything a person could see of what they typed is kept. Tab, CR and LF stay: they are
how a message is laid out. Uploaded files are untouched; they are stored as bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from portal.form_messages import FormMessagesRequest

# C0 control characters except tab (\x09), LF (\x0a) and CR (\x0d).
INVISIBLE_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def without_controls(value: Any) -> Any:
    """``value`` without invisible control characters, if it is text; anything else as it is."""
    return INVISIBLE_CONTROLS.sub("", value) if isinstance(value, str) else value


def stripped(value: Any) -> Any:
    """A form filter: text without the spaces around it, so "  " counts as empty; anything else as it is."""
    return value.strip() if isinstance(value, str) else value


class CleanedMultiDict(ImmutableMultiDict[str, Any]):
    """Request parameters (query string or form fields) with the controls taken out of keys and values."""

    def __init__(self, mapping: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        pairs = MultiDict(mapping).items(multi=True) if isinstance(mapping, Mapping) else mapping or ()
        super().__init__([(without_controls(key), without_controls(value)) for key, value in pairs])


class PortalRequest(FormMessagesRequest, Request):
    """Flask's request whose ``args``, ``form`` and ``values`` never hold invisible control characters
    (and whose form messages come from a kept catalogue, ``portal.form_messages``)."""

    parameter_storage_class = CleanedMultiDict
