"""Project-level pages: the demo article, the health check and the dev mailbox."""

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control, never_cache

from .celery import app
from .devmail import read_mailbox


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
def dev_mailbox(request: HttpRequest) -> HttpResponse:
    if not settings.DEBUG:
        raise Http404
    return render(request, "dev/mailbox.html", {"messages_": read_mailbox()})
