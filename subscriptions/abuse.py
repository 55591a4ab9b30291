"""The one abuse pipeline every sign-up entry point runs (HTML form, fetch/JSON, any API).

It takes data, not a request: the submitted fields and the client IP, so a JSON API or an admin
import can run it as the form view does. Each step has a setting. A submission that trips one
gets exactly the normal public answer, so a bot learns nothing; nothing is stored or sent, and
a log line records why. The victim of subscription bombing is the inbox, not the attacker's IP,
so the per-inbox daily cap and cooldown live in the sign-up flow (services/signup_plan.py), in
the database, where they hold across IPs and when Redis is down.
"""

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from axes.utils import reset as axes_reset
from django.conf import settings
from django.core import signing

from . import captcha, instruments, ratelimit
from .app_settings import app_settings

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

    @property
    def too_soon_again(self) -> bool:
        """A form handed back after it expired, sent again before the minimum fill time."""
        return self.reason == "too_fast_again"


ALLOW = Verdict(True)


def make_form_token(*, reissued: bool = False) -> str:
    """Signed render time of a form; pages served from a cache fetch a fresh one by script.

    `reissued`: for a form handed back because its token expired. Its fill time counts from
    now, as any token's does (sending an old token back must not skip the wait); pressing
    Subscribe again too soon asks the reader to press once more, instead of the silent answer
    a bot gets.
    """
    payload = {"t": time.time(), "r": 1} if reissued else {"t": time.time()}
    return signing.dumps(payload, salt=FORM_TOKEN_SALT)


def token_for_resubmit(fields: Mapping[str, str]) -> str:
    """The token a re-shown form carries: the reader's own while it is valid; for one that
    expired, a reissued one; for a missing or forged one, a fresh one."""
    reason = (_fill_time(fields) or ALLOW).reason
    if reason == "form_expired":
        return make_form_token(reissued=True)
    if reason == "form_token":
        return make_form_token()
    return fields.get(FORM_TOKEN_FIELD, "")


def check(fields: Mapping[str, str], *, ip: str | None) -> Verdict:
    """Run every step on a submission's fields, sent from `ip` (None when unknown).

    A step answers None when the submission passes it; the first that trips decides.
    """
    verdict = (
        _honeypot(fields) or _fill_time(fields) or _captcha(fields, ip) or _ip_rate(ip) or ALLOW
    )
    if not verdict.allowed:
        logger.info("event=signup.blocked reason=%s", verdict.reason)
        instruments.SIGNUPS_BLOCKED.labels(verdict.reason).inc()
    return verdict


def _honeypot(fields: Mapping[str, str]) -> Verdict | None:
    return Verdict(False, "honeypot") if fields.get(app_settings.SIGNUP_HONEYPOT_FIELD) else None


def _fill_time(fields: Mapping[str, str]) -> Verdict | None:
    token = fields.get(FORM_TOKEN_FIELD, "")
    max_age = app_settings.SIGNUP_FORM_MAX_AGE
    try:
        payload = signing.loads(token, salt=FORM_TOKEN_SALT, max_age=max_age)
    except signing.SignatureExpired:
        # A person who left the tab open: ask them to press Subscribe again.
        return Verdict(False, "form_expired")
    except signing.BadSignature:
        return Verdict(False, "form_token")
    rendered = payload.get("t") if isinstance(payload, dict) else None
    if not isinstance(rendered, int | float):
        return Verdict(False, "form_token")
    if time.time() - rendered < app_settings.SIGNUP_MIN_FILL_SECONDS:
        return Verdict(False, "too_fast_again" if payload.get("r") else "too_fast")
    return None


def _captcha(fields: Mapping[str, str], ip: str | None) -> Verdict | None:
    if captcha.provider() is None or captcha.verify(captcha.answer(fields), ip):
        return None
    return Verdict(False, "captcha")


def _ip_rate(ip: str | None) -> Verdict | None:
    if not app_settings.SIGNUP_IP_LIMITS:
        return None
    try:
        within = ratelimit.within_limits(ip or ratelimit.UNKNOWN_CLIENT)
    except Exception as exc:
        # Fail open: losing real readers' sign-ups to a Redis outage is worse than a burst,
        # and the per-address cap in the database still protects every inbox.
        logger.warning("event=ratelimit.unavailable error=%s", type(exc).__name__)
        return None
    return None if within else Verdict(False, "ip_rate")


def unblock_ip(*, ip: str, actor: str) -> int:
    """An operator lifts every block on one client address: its sign-up limits, its failed
    admin sign-ins, and axes' lockouts of usernames from it. Returns how many axes lockout
    records went; the rate-limit counters say nothing of what they held."""
    ratelimit.clear(ratelimit.NAMESPACE, ip, app_settings.SIGNUP_IP_LIMITS)
    ratelimit.clear(ratelimit.ADMIN_LOGIN_NAMESPACE, ip, settings.ADMIN_LOGIN_IP_LIMIT)
    # axes keeps a real address, or none: "unknown" is only our limits' key.
    lockouts = 0 if ip == ratelimit.UNKNOWN_CLIENT else axes_reset(ip=ip)
    logger.info("event=ip.unblocked ip=%s lockouts=%s actor=%s", ip, lockouts, actor)
    return lockouts


def reset_limits() -> None:
    """Clear every per-IP counter (tests; an operator lifts one address with unblock_ip)."""
    ratelimit.reset()
