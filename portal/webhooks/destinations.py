"""Where webhooks may go: public addresses, and private networks only when the deployment opens them.

A webhook is a request the portal makes from inside its own network to an address someone typed.
Without a check, an administrator's account (or whoever took it over) could aim it at the database,
the cloud's metadata service or an internal admin page and read the answers in the delivery log.
So the host is resolved, every address it resolves to must be public or inside
``PORTAL_WEBHOOK_ALLOWED_NETWORKS``, and the request is then made to the address that was checked,
so a name that resolves differently a moment later (DNS rebinding) cannot slip past.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefusedError(ValueError):
    """The address may not receive webhooks; the message says why, for the form or the delivery log."""


@dataclass(frozen=True)
class Destination:
    """A checked receiver: the URL's parts and the one address the request connects to."""

    scheme: str
    host: str
    port: int
    target: str
    address: str


def allowed_networks(setting: object) -> list[IpNetwork]:
    """The private networks a deployment opened to webhooks, from a list or comma-separated text.

    Raises ``ValueError`` naming the entry that is not a network, for the start-up check.
    """
    entries = setting.split(",") if isinstance(setting, str) else list(setting or [])  # type: ignore[call-overload]
    networks = []
    for entry in entries:
        text = str(entry).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as error:
            raise ValueError(
                f"PORTAL_WEBHOOK_ALLOWED_NETWORKS: {text!r} is not a network; "
                "write it like 10.0.0.0/8 or 192.0.2.7."
            ) from error
    return networks


def check_url(url: str) -> tuple[str, str, int, str]:
    """The scheme, host, port and path of a receiver's URL; ``DestinationRefusedError`` says what is wrong."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise DestinationRefusedError(_("This is not a web address.")) from error
    if parts.scheme not in ("http", "https"):
        raise DestinationRefusedError(_("The address must start with https:// (or http://)."))
    if not parts.hostname:
        raise DestinationRefusedError(_("The address has no host name."))
    if parts.username or parts.password:
        raise DestinationRefusedError(_("Leave the user name and password out of the address."))
    if parts.fragment:
        raise DestinationRefusedError(_("Leave the part after # out of the address."))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), target


def resolve(url: str) -> Destination:
    """Check ``url`` and the addresses its host resolves to now; the destination to connect to.

    Every address must be allowed, not just the first, so a name cannot pair a public address with
    an internal one and hope for the second.
    """
    scheme, host, port, target = check_url(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise DestinationRefusedError(_("The host %(host)s could not be found.", host=host)) from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    networks = allowed_networks(current_app.config["PORTAL_WEBHOOK_ALLOWED_NETWORKS"])
    for address in addresses:
        refusal = refusal_of(address, networks)
        if refusal:
            raise DestinationRefusedError(refusal)
    return Destination(scheme=scheme, host=host, port=port, target=target, address=str(addresses[0]))


def refusal_of(address: IpAddress, networks: Iterable[IpNetwork]) -> str | None:
    """Why the portal will not send to ``address``, or ``None`` when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_multicast or address.is_unspecified:
        return _("%(address)s cannot receive webhooks.", address=str(address))
    if address.is_global or any(address in network for network in networks):
        return None
    return _(
        "%(address)s is a private or local address. Webhooks go only to public addresses, or to "
        "networks the deployment allows in PORTAL_WEBHOOK_ALLOWED_NETWORKS.",
        address=str(address),
    )
