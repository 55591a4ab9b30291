"""Cross-site POST refusal for the sign-up endpoint.

Why not Django's CSRF token: article pages are served from a shared cache, so a per-visitor
token can't be baked into their HTML. The browser's own headers tell us where a POST came
from instead: `Origin` (sent with every cross-origin and same-origin POST by current browsers)
and, failing that, `Sec-Fetch-Site`. Without this check any site could make its visitors'
browsers sign strangers' addresses up, from thousands of innocent IPs.
"""

import ipaddress
from urllib.parse import urlsplit

from django.http import HttpRequest

from .app_settings import app_settings


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(request: HttpRequest) -> set[str]:
    own = f"{request.scheme}://{request.get_host()}"
    return {
        _origin(own),
        _origin(app_settings.SITE_URL),
        *map(_origin, app_settings.PARTNER_ORIGINS),
    }


def is_cross_site(request: HttpRequest) -> bool:
    origin = request.headers.get("Origin")
    if origin is not None:
        # "null" comes from sandboxed frames and file:// pages: never one of ours.
        return origin == "null" or origin.lower() not in allowed_origins(request)
    # No Origin: an old browser or a non-browser client. A browser still tells us the site.
    return request.headers.get("Sec-Fetch-Site") == "cross-site"


def client_ip(request: HttpRequest) -> str | None:
    """The client address; behind a proxy, from the header the operator says it overwrites."""
    header = app_settings.CLIENT_IP_HEADER
    value = request.META.get(header, "") if header else ""
    # X-Forwarded-For style: the proxy appends the real client last.
    candidate = value.split(",")[-1].strip() if value else request.META.get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address(candidate or ""))
    except ValueError:
        return None
