"""Project-level pages: the demo article, the health check and the dev mailbox."""

import hmac
import ipaddress
import os

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control, never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from subscriptions.api import DatabaseCollector, EmailPageView, client_ip
from subscriptions.app_settings import app_settings

from .celery import app
from .devmail import read_html, read_mailbox

# The widths the dev mailbox shows each email's HTML at: the usual email column (and a desktop
# client's reading pane), and a common phone's screen.
MAILBOX_FRAME_WIDTHS = [(600, "desktop"), (375, "phone")]


# Public and cacheable: the sign-up forms on it carry no per-visitor token.
@cache_control(public=True, max_age=60)
def article(request: HttpRequest) -> HttpResponse:
    return render(request, "article.html")


# Browsers ask for /favicon.ico on any page that names no icon, such as the admin's. A redirect
# to the static file keeps one copy of the icon, served by whitenoise under its hashed name
# (immutable) in production; the redirect itself is cached for a day, not forever, so a new
# icon is picked up.
@cache_control(public=True, max_age=24 * 3600)
def favicon(request: HttpRequest) -> HttpResponse:
    return redirect(static("img/favicon.ico"))


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database and broker answer, 503 otherwise.

    Reports only up/down, never hosts, URLs or error text.
    """
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
    return JsonResponse(body, status=200 if all(checks.values()) else 503)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for operators only: from an allowed network or with the bearer
    token. Everyone else gets the same 404 as a page that doesn't exist."""
    if not _may_read_metrics(request):
        raise Http404
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # What every process of this host measured (blocked sign-ups, latencies).
        multiprocess.MultiProcessCollector(registry)
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _may_read_metrics(request: HttpRequest) -> bool:
    token = app_settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if (
        token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.encode(), token.encode())
    ):
        return True
    ip = client_ip(request)
    networks = [ipaddress.ip_network(n, strict=False) for n in app_settings.METRICS_ALLOWED_IPS]
    return ip is not None and any(ipaddress.ip_address(ip) in n for n in networks)


@never_cache
def dev_mailbox(request: HttpRequest) -> HttpResponse:
    if not settings.DEBUG:
        raise Http404
    context = {"messages_": read_mailbox(), "widths": MAILBOX_FRAME_WIDTHS}
    return render(request, "dev/mailbox.html", context)


class DevMailHTML(EmailPageView):
    """One message's HTML part, for the mailbox's frames (and a tab of its own)."""

    def get_email_html(self) -> str:
        if not settings.DEBUG:
            raise Http404
        html = read_html(self.kwargs["name"])
        if html is None:
            raise Http404
        return html
