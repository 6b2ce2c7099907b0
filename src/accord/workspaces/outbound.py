"""Where a webhook may be sent: public addresses only, no redirects.

A webhook URL is chosen by a reviewer of a participating organisation, who is not the
instance's administrator: without this check they could make the server send requests into its
own private network (server-side request forgery). A URL is refused when its host resolves to a
loopback, private, link-local, reserved, multicast or unspecified address, at registration and
again at each delivery (the name may resolve elsewhere by then); redirects are not followed.
``ACCORD_WEBHOOK_ALLOW_PRIVATE=1`` lifts the address rule for instances whose receivers live on
their own network (and for tests). A name that resolves differently between the check and the
connection (DNS rebinding) is not covered: put an egress proxy in front of such deployments.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import urllib.request
from urllib.parse import urlsplit

from accord.errors import InvalidInput

ALLOW_PRIVATE = "ACCORD_WEBHOOK_ALLOW_PRIVATE"


def check_destination(url: str) -> None:
    """InvalidInput unless the URL is http(s) to a host that resolves to public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("the webhook URL must be http(s) with a host", field="webhook_url")
    if os.environ.get(ALLOW_PRIVATE) == "1":
        return
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise InvalidInput("the webhook's host does not resolve", field="webhook_url") from exc
    for *_, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise InvalidInput(
                "the webhook's host is not a public address (set "
                f"{ALLOW_PRIVATE}=1 to allow receivers on the instance's own network)",
                field="webhook_url",
            )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


OPENER = urllib.request.build_opener(_NoRedirect)
