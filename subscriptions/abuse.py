"""The one abuse pipeline every sign-up entry point runs (HTML form, fetch/JSON, any API).

Each step has a setting. A submission that trips one gets exactly the normal public answer,
so a bot learns nothing; nothing is stored or sent, and a log line records why. The victim of
subscription bombing is the inbox, not the attacker's IP, so the per-address cap lives in
services.sign_up, in the database, where it holds across IPs and when Redis is down.
"""

import logging
import time
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from limits import parse_many, storage, strategies

from . import captcha
from .origin import client_ip

logger = logging.getLogger("subscriptions.abuse")

# A signing salt and a field name, not secrets.
FORM_TOKEN_SALT = "subscriptions.form"  # noqa: S105
FORM_TOKEN_FIELD = "form_token"  # noqa: S105


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""  # the step that tripped: logged, never shown

    @property
    def expired(self) -> bool:
        return self.reason == "form_expired"


ALLOW = Verdict(True)


def make_form_token(*, filled: bool = False) -> str:
    """Signed render time of a form; pages served from a cache fetch a fresh one by script.

    `filled`: for a form handed back to a reader who already filled it in (an expired or
    corrected form), so that pressing Subscribe again at once is not taken for a bot.
    """
    rendered = time.time() - (settings.SIGNUP_MIN_FILL_SECONDS if filled else 0)
    return signing.dumps({"t": rendered}, salt=FORM_TOKEN_SALT)


def token_for_resubmit(request: HttpRequest) -> str:
    """The token a re-shown form carries: the reader's own while it is valid; for one that
    expired, a new one counted as filled in; for a missing or forged one, a fresh one."""
    reason = _fill_time(request).reason
    if reason == "form_expired":
        return make_form_token(filled=True)
    if reason == "form_token":
        return make_form_token()
    return request.POST.get(FORM_TOKEN_FIELD, "")


def check(request: HttpRequest) -> Verdict:
    for step in (_honeypot, _fill_time, _captcha, _ip_rate):
        verdict = step(request)
        if not verdict.allowed:
            logger.info("event=signup.blocked reason=%s", verdict.reason)
            return verdict
    return ALLOW


def _honeypot(request: HttpRequest) -> Verdict:
    return (
        Verdict(False, "honeypot") if request.POST.get(settings.SIGNUP_HONEYPOT_FIELD) else ALLOW
    )


def _fill_time(request: HttpRequest) -> Verdict:
    token = request.POST.get(FORM_TOKEN_FIELD, "")
    try:
        payload = signing.loads(token, salt=FORM_TOKEN_SALT, max_age=settings.SIGNUP_FORM_MAX_AGE)
    except signing.SignatureExpired:
        # A person who left the tab open: ask them to press Subscribe again.
        return Verdict(False, "form_expired")
    except signing.BadSignature:
        return Verdict(False, "form_token")
    rendered = payload.get("t") if isinstance(payload, dict) else None
    if not isinstance(rendered, int | float):
        return Verdict(False, "form_token")
    if time.time() - rendered < settings.SIGNUP_MIN_FILL_SECONDS:
        return Verdict(False, "too_fast")
    return ALLOW


def _captcha(request: HttpRequest) -> Verdict:
    if not settings.CAPTCHA_PROVIDER:
        return ALLOW
    return ALLOW if captcha.verify(request, client_ip(request)) else Verdict(False, "captcha")


def _ip_rate(request: HttpRequest) -> Verdict:
    if not settings.SIGNUP_IP_LIMITS:
        return ALLOW
    ip = client_ip(request) or "unknown"
    try:
        limiter = _limiter(settings.RATE_LIMIT_STORAGE_URL)
        within = [limiter.hit(item, "signup-ip", ip) for item in _ip_limits()]
    except Exception as exc:
        # Fail open: losing real readers' sign-ups to a Redis outage is worse than a burst,
        # and the per-address cap in the database still protects every inbox.
        logger.warning("event=ratelimit.unavailable error=%s", type(exc).__name__)
        return ALLOW
    return ALLOW if all(within) else Verdict(False, "ip_rate")


def _ip_limits():
    return parse_many(settings.SIGNUP_IP_LIMITS)


@cache
def _limiter(url: str) -> strategies.MovingWindowRateLimiter:
    options = (
        {"key_prefix": f"{settings.REDIS_KEY_PREFIX}limits"} if url.startswith("redis") else {}
    )
    if url.startswith("redis"):
        # Short timeouts: a hung Redis must not hang the sign-up; the step then fails open.
        options |= {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    return strategies.MovingWindowRateLimiter(storage.storage_from_string(url, **options))


def reset_limits() -> None:
    """Clear the counters (tests, and an operator lifting a block)."""
    _limiter(settings.RATE_LIMIT_STORAGE_URL).storage.reset()
