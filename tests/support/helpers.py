"""Sign-ups as this site's forms send them: through the Django test client (`sign_up`) or
over HTTP to a live server (`sign_up_over_http`), and the answers readers get."""

import re
import time
from typing import Any

import requests
from django.contrib.auth.models import Permission, User
from django.core import signing
from django.test import Client

from subscriptions import services
from subscriptions.core import tokens
from subscriptions.guards.abuse import FORM_TOKEN_SALT
from subscriptions.models import ConfirmationEmail, Subscriber

# The answer to every accepted sign-up, whatever became of the address.
HEADING = "Almost done"
GOOD = "Check your inbox and press the button in our email."
BAD = "Please, enter correct email address"
PARTNER = "https://partner.example"  # a partner front end, in PARTNER_ORIGINS where a test says
EVIL = "https://evil.example"


def form_token(age: float = 30.0) -> str:
    """The signed render time of a form a reader opened `age` seconds ago."""
    return signing.dumps({"t": time.time() - age}, salt=FORM_TOKEN_SALT)


def form_data(email: str, *slugs: str, form_id: str = "daily", **extra) -> dict:
    """What a person's browser posts from a form they took half a minute to fill."""
    return {
        "form_token": form_token(),
        "email": email,
        "newsletter": list(slugs) or ["daily"],
        "offered": list(slugs) or ["daily"],
        "form_id": form_id,
        "page": "/",
        **extra,
    }


def sign_up(
    client,
    email: str = "reader@example.com",
    *slugs: str,
    json: bool = False,
    ip: str | None = None,
    origin: str | None = "http://testserver",
    headers: dict | None = None,
    **fields: Any,
):
    """POST a sign-up through the Django test client the way a browser on this site does.

    `json`: as the page's script does (Accept: application/json), else as a plain form post.
    `ip`: the client address (REMOTE_ADDR); `origin=None` sends no Origin header; `headers`:
    any other request headers, as WSGI keys (HTTP_USER_AGENT...); `fields` add to or replace
    the form's fields (website=, form_token=, newsletter=...).

    Then does what the worker does next, so the test sees the subscriptions and the
    confirmation email the sign-up leads to.
    """
    extra = {"HTTP_ORIGIN": origin} if origin else {}
    if json:
        extra["HTTP_ACCEPT"] = "application/json"
    if ip:
        extra["REMOTE_ADDR"] = ip
    extra.update(headers or {})
    answer = client.post("/subscribe/", {**form_data(email, *slugs), **fields}, **extra)
    services.process_recorded_sign_ups()
    return answer


def sign_up_over_http(
    url: str, email: str, *slugs: str, session=None, timeout: float = 30
) -> requests.Response:
    """POST a sign-up to a live server at `url` as the page's script does (a JSON answer)."""
    return (session or requests).post(
        f"{url}/subscribe/",
        data=form_data(email, *slugs),
        headers={"Origin": url, "Accept": "application/json"},
        timeout=timeout,
    )


def found(pattern: str, text: str) -> str:
    """The first group of `pattern` in `text`; fails the test when it isn't there."""
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found"
    return match.group(1)


def confirmed(client, email: str, *slugs: str) -> Subscriber:
    """A reader who signed up for these lists and confirmed them."""
    sign_up(client, email, *slugs)
    services.confirm(email_id=latest_confirmation().pk)
    return Subscriber.objects.get(email=email)


def preferences_link_for(text: str, before: str = "") -> int | None:
    """Whose preference center the link in `text` (after `before`, e.g. the site's origin)
    opens. Compared by what the token says, not by signing it again: a token carries the
    second it was signed in, and the next second signs another."""
    token = found(rf"{re.escape(before)}/preferences/([^/\"\s]+)/", text)
    return tokens.check_preferences_token(token).object_id


def latest_confirmation() -> ConfirmationEmail:
    """The confirmation email queued last (DoesNotExist when there is none)."""
    return ConfirmationEmail.objects.latest("pk")


def staff_client(*codenames: str, username: str = "") -> Client:
    """A logged-in staff user holding only these permissions of this app."""
    name = username or f"staff-{len(codenames)}-{'-'.join(codenames)}"[:150]
    user = User.objects.create_user(name, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="subscriptions", codename__in=codenames)
    )
    client = Client()
    client.force_login(user)
    return client
