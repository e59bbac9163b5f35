"""Which callback URLs Dropbox Sign can reach: one rule for going live and the emulator.

Dropbox Sign POSTs callbacks from the internet, so it refuses a callback URL whose host is this
machine or a private network (:func:`is_local_host`), and since 1 December 2024 it sends events
only to HTTPS callback URLs (:data:`NOT_HTTPS`; the events walkthrough: "callback URLs must use
HTTPS" from 30 November 2024). :mod:`hsnb.live` applies both before registering a public URL,
and the emulator's ``strict_callback_urls`` refuses the same URLs. Names are not resolved
(everything works offline): ``my-laptop.example`` counts as public.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_local_host(host: str) -> bool:
    """Whether ``host`` is this machine or a private network: ``localhost``, ``*.localhost``,
    ``*.local``, or a loopback, private, link-local or unspecified IP address (a trailing dot
    and letter case do not matter).

    >>> is_local_host("LOCALHOST."), is_local_host("10.0.0.5"), is_local_host("hooks.example.com")
    (True, True, False)
    """
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith((".localhost", ".local")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (
        address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified
    )


#: Why an ``http://`` callback URL is refused (live mode and the strict emulator).
NOT_HTTPS = (
    "Dropbox Sign sends callbacks only to HTTPS URLs (since 1 December 2024): use an https:// URL"
)


def is_https(url: str) -> bool:
    """Whether ``url`` uses HTTPS (letter case does not matter).

    >>> is_https("HTTPS://hooks.example.com/cb"), is_https("http://hooks.example.com/cb")
    (True, False)
    """
    return scheme_and_host(url)[0] == "https"


def scheme_and_host(url: str) -> tuple[str, str | None]:
    """The lower-case scheme and host of ``url`` (``("", None)`` when it cannot be parsed)."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), parts.hostname
    except ValueError:  # e.g. "Invalid IPv6 URL"
        return "", None
