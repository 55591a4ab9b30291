"""Request timing for /metrics; the request body rules; and a 503 "try again shortly"
when the database is unreachable, instead of a bare 500.

Nothing is half-written in that case (every write is one transaction), so the honest answer is
that the service is briefly unavailable; load balancers and the form's script both understand
a 503 with Retry-After.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from subscriptions.api import REQUEST_SECONDS

from . import bodies

logger = logging.getLogger("newsroom")


class RequestMetricsMiddleware:
    """Times every request for /metrics, by the view that answered it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # Only named views: a label per unmatched path would grow without bound.
        view = match.view_name if match else "unmatched"
        REQUEST_SECONDS.labels(view).observe(time.perf_counter() - started)
        return response


class RequestBodyMiddleware:
    """Refuses an oversized, undecodable or file-carrying body on every path before anything
    reads it (bodies.py). Before CsrfViewMiddleware, which reads POST bodies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        rules = bodies.rules_for(request)
        refusal = bodies.refusal(request, rules) if rules else None
        if refusal is None:
            return None
        logger.info("event=request.refused reason=%s path=%s", refusal.reason, request.path)
        if "application/json" in request.headers.get("Accept", ""):
            # The shape of a refused sign-up: the form's script shows errors["form"].
            body = {"ok": False, "errors": {"form": refusal.message}}
            return JsonResponse(body, status=refusal.status)
        context = {"message": refusal.message}
        return render(request, "request_refused.html", context, status=refusal.status)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "event=database.unavailable path=%s error=%s", request.path, type(exception).__name__
        )
        message = _("We can't take sign-ups for a moment. Please try again in a minute.")
        response: HttpResponse
        if "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse({"ok": False, "message": message}, status=503)
        else:
            response = render(request, "503.html", {"message": message}, status=503)
        response["Retry-After"] = "30"
        return response
