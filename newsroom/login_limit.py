"""A per-IP limit on failed admin logins, beside django-axes.

axes locks a username + IP pair after AXES_FAILURE_LIMIT failures, so one IP can try many
usernames without limit, and its one failure limit applies to every parameter set. This adds
a higher, per-IP threshold (ADMIN_LOGIN_IP_LIMIT, 30 an hour by default) in the `limits`
library's moving window, in the same store as the sign-up limit (Redis in production).

The backend refuses before any password is checked; the middleware turns that refusal into a
429 page, as AxesMiddleware does for its lockouts. The failures are counted from Django's
`user_login_failed` signal, connected when this module is imported: the middleware is loaded
with every web process.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from subscriptions.api import client_key, ratelimit

logger = logging.getLogger("newsroom")
NAMESPACE = ratelimit.ADMIN_LOGIN_NAMESPACE


class LoginIPLimitBackend:
    """First in AUTHENTICATION_BACKENDS: refuses every login attempt from an IP over its
    limit of failures, whatever the username."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        if request is not None and _over_limit(request):
            request.login_ip_blocked = True  # type: ignore[attr-defined]
            raise PermissionDenied
        return None

    # No get_user(): this backend never logs anyone in, so no session may name it.


@receiver(user_login_failed)
def count_failure(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is None or getattr(request, "login_ip_blocked", False):
        return
    try:
        ratelimit.hit(
            NAMESPACE,
            client_key(request) or ratelimit.UNKNOWN_CLIENT,
            settings.ADMIN_LOGIN_IP_LIMIT,
        )
    except Exception as exc:  # axes still counts in the database
        logger.warning("event=login_limit.unavailable error=%s", type(exc).__name__)


def _over_limit(request: HttpRequest) -> bool:
    try:
        key = client_key(request) or ratelimit.UNKNOWN_CLIENT
        return ratelimit.exhausted(NAMESPACE, key, settings.ADMIN_LOGIN_IP_LIMIT)
    except Exception as exc:  # fail open: axes still locks username + IP pairs
        logger.warning("event=login_limit.unavailable error=%s", type(exc).__name__)
        return False


def refused(request: HttpRequest, message: str) -> HttpResponse:
    """The one page a refused admin sign-in gets, in the site's layout, with a 429."""
    return render(request, "request_refused.html", {"message": message}, status=429)


def axes_lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: axes' lockout of one username from one IP gets the same page as
    the per-IP limit (axes' own is a line of unstyled, untranslated text)."""
    logger.info("event=login.blocked reason=username_ip_lockout")
    return refused(
        request,
        _("Too many failed sign-ins to this account. Please try again in an hour."),
    )


class LoginIPLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "login_ip_blocked", False):
            logger.info("event=login.blocked reason=ip_limit")
            return refused(
                request, _("Too many failed sign-ins from your network. Please try again later.")
            )
        return response
