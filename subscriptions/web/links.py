"""What the reader-facing views share: the link tokens they keep in cookies, and the consent a
request gives.

A link's token is kept in a short-lived signed cookie, scoped to the page that uses it, not in
a session: a crawler opening links must not grow the sessions table. And it is kept out of the
URL the page is shown at (and so out of Referer headers and browser history), as Django's
PasswordResetConfirmView does.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .. import services
from ..app_settings import app_settings
from ..core.tokens import TokenCheck
from ..guards.origin import client_ip

LINK_COOKIE_SALT = "subscriptions.link-cookie"
LINK_COOKIE_AGE = 3600  # long enough to read the page and press its button


def stash_token(
    cookie: str, token: str, page: str, *, check: Callable[[str], TokenCheck]
) -> HttpResponse:
    """Redirect to `page` with the link's token in its cookie. Only a token we signed for
    the page's purpose (`check`) is kept: a forged one could hold what no cookie header can
    carry. The page then says the link is not valid, rather than showing an earlier link's."""
    response = redirect(page)
    if check(token).object_id is None:
        response.delete_cookie(cookie, path=reverse(page))
        return response
    response.set_signed_cookie(
        cookie,
        token,
        salt=LINK_COOKIE_SALT,
        max_age=LINK_COOKIE_AGE,
        path=reverse(page),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def stashed(request: HttpRequest, cookie: str) -> str:
    value = request.get_signed_cookie(
        cookie, default="", salt=LINK_COOKIE_SALT, max_age=LINK_COOKIE_AGE
    )
    return value or ""


def consent(
    request: HttpRequest, *, page_url: str, form_id: str, wording: str
) -> services.ConsentInput:
    """The consent of a form or button on one of our pages, with what only the request knows."""
    return services.ConsentInput(
        page_url=page_url,
        form_id=form_id,
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:500],
        wording=wording,
        version=app_settings.CONSENT_VERSION,
    )
