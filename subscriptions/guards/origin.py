"""Where a request comes from: cross-site POST refusal for the sign-up endpoint, and the
client's address and the key the per-client limits count it under.

Why the sign-up endpoint doesn't take Django's CSRF token: article pages are served from a
shared cache, so a per-visitor token can't be baked into their HTML. The browser's own headers
tell us where a POST came from instead: `Origin` (sent with every cross-origin and same-origin
POST by current browsers) and, failing that, `Sec-Fetch-Site`. Without this check any site
could make its visitors' browsers sign strangers' addresses up, from thousands of innocent IPs.
"""

import ipaddress
from urllib.parse import urlsplit

from django.http import HttpRequest

from ..app_settings import app_settings


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
    """The client's own address (what a consent records); behind a proxy, from the header the
    operator says it overwrites. None when there is no usable one."""
    header = app_settings.CLIENT_IP_HEADER
    value = request.META.get(header, "") if header else ""
    # X-Forwarded-For style: the proxy appends the real client last.
    candidate = value.split(",")[-1].strip() if value else request.META.get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address(candidate or ""))
    except ValueError:
        return None


def client_key(request: HttpRequest) -> str | None:
    """Whom the per-client limits and axes count this request against: `address_key` of the
    client's address, or None when it has none (AXES_CLIENT_IP_CALLABLE)."""
    ip = client_ip(request)
    return address_key(ip) if ip else None


def address_key(ip: str) -> str:
    """The one client an address belongs to, for counting: an IPv4 address is itself; an
    IPv4-mapped IPv6 address (a dual-stack socket's spelling of an IPv4 client) is its IPv4;
    any other IPv6 address is its IPV6_CLIENT_PREFIX network (a /64 by default), named by its
    first address, because a home line or a phone is given a whole /64 and can take a new
    address from it for every request.
    Raises ValueError for what isn't an address."""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    prefix = app_settings.IPV6_CLIENT_PREFIX
    if prefix >= address.max_prefixlen:
        return str(address)
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    # The network's first address stands for it, not "2001:db8:1:2::/64": axes keeps the key in
    # a GenericIPAddressField, and PostgreSQL's inet (through psycopg's Inet) takes an address.
    return str(network.network_address)
