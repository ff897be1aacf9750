"""One signed request to a receiver, made to the address that was checked, and what it answered.

urllib3 is given the checked IP address as the host to connect to and the name for TLS (SNI and the
certificate check) and the ``Host`` header, so the request cannot be steered elsewhere between the
check and the connection. Redirects are not followed: a receiver that moved must be edited, or it
could point the portal at an address the check would refuse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import urllib3
from flask import current_app

from portal.webhooks.destinations import Destination, DestinationRefusedError, resolve
from portal.webhooks.models import ERROR_MAX, RESPONSE_BODY_MAX

USER_AGENT = "CustomerPortal-Webhooks/1"
CONNECT_TIMEOUT = 5.0
# Headers of an answer kept in the log: enough to debug, never a cookie the receiver set.
KEPT_RESPONSE_HEADERS = 20


@dataclass
class Outcome:
    """What one request did, for the attempt's row in the delivery log."""

    status: int | None
    headers: dict[str, str] | None
    body: str | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def summary(self) -> str:
        """One line for the job's error and the operations page."""
        if self.error:
            return self.error
        return f"The receiver answered {self.status}; only a 2xx status counts as delivered."


def post(url: str, body: str, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url`` if its address is allowed now; never raises for the receiver's faults."""
    started = time.perf_counter()
    try:
        destination = resolve(url)
    except DestinationRefusedError as refused:
        return Outcome(None, None, None, str(refused)[:ERROR_MAX], _since(started))
    try:
        response = _pool(destination).urlopen(
            "POST",
            destination.target,
            body=body.encode(),
            headers=_request_headers(destination, headers),
            redirect=False,
            retries=False,
            preload_content=False,
            timeout=urllib3.Timeout(
                connect=CONNECT_TIMEOUT, read=float(current_app.config["PORTAL_WEBHOOK_TIMEOUT"])
            ),
        )
    except urllib3.exceptions.HTTPError as error:
        return Outcome(None, None, None, _describe(error), _since(started))
    try:
        text = response.read(RESPONSE_BODY_MAX, decode_content=False).decode("utf-8", "replace")
    except urllib3.exceptions.HTTPError as error:
        text = f"(The answer could not be read: {_describe(error)})"
    finally:
        response.release_conn()
    kept = {
        name: value[:500]
        for name, value in list(response.headers.items())[:KEPT_RESPONSE_HEADERS]
        if name.lower() != "set-cookie"
    }
    return Outcome(response.status, kept, text, None, _since(started))


def _pool(destination: Destination) -> Any:
    if destination.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            destination.address,
            destination.port,
            server_hostname=destination.host,
            assert_hostname=destination.host,
            cert_reqs="CERT_REQUIRED",
            maxsize=1,
        )
    return urllib3.HTTPConnectionPool(destination.address, destination.port, maxsize=1)


def _request_headers(destination: Destination, signed: dict[str, str]) -> dict[str, str]:
    default_port = 443 if destination.scheme == "https" else 80
    host = destination.host if ":" not in destination.host else f"[{destination.host}]"
    if destination.port != default_port:
        host = f"{host}:{destination.port}"
    return {"Host": host, "Content-Type": "application/json", "User-Agent": USER_AGENT, **signed}


def _describe(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    return f"The receiver could not be reached: {reason}"[:ERROR_MAX]


def _since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
