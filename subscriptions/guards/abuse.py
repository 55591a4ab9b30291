"""The one abuse pipeline every sign-up entry point runs (HTML form, fetch/JSON, any API).

It takes data, not a request: the submitted fields and the client IP, so a JSON API or an admin
import can run it as the form view does. Each step has a setting, and none looks at the
address, so no answer says whether it is known.

What a tripped step answers is a trade-off, decided per step:
- The honeypot is a silent drop: the normal public answer, nothing stored or sent. No person
  fills a field they can't see, so nobody real is lost, and a bot learns nothing.
- The checks a fast person can trip (a form sent within SIGNUP_MIN_FILL_SECONDS of the page
  view, a token that expired or that we can't read) ask for a second step: "Please press
  Subscribe again", with a token to send back. A bot learns that it was too fast, which only
  tells it to wait. That is the price of never losing a reader who autofills and presses at
  once: the fill time slows bots down, it never protected anyone's inbox. What protects a
  victim's inbox is the per-inbox daily cap and cooldown, which live in the sign-up flow
  (services/signup_plan.py), in the database, where they hold across IPs and when Redis is
  down.
- Over the per-IP limit the answer is honest (a 429 saying when to try again), since an
  office, a university or a mobile carrier puts many readers behind one address; with a
  captcha configured, solving it lets the reader through instead.
Every refusal is logged (`event=signup.blocked reason=<step>`) and counted by step for
/metrics, and so is every second step a person completed.
"""

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.core import signing

from ..app_settings import app_settings
from ..stats import instruments
from . import captcha, origin, ratelimit

logger = logging.getLogger("subscriptions.abuse")

# A signing salt and a field name, not secrets.
FORM_TOKEN_SALT = "subscriptions.form"  # noqa: S105
FORM_TOKEN_FIELD = "form_token"  # noqa: S105

# The steps whose refusal asks the reader to press Subscribe again.
PRESS_AGAIN_STEPS = frozenset({"form_token", "form_expired", "too_fast", "too_fast_again"})


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""  # the step that tripped: logged and counted, never shown
    # A second step's token: what the reader's next press must send back.
    token: str = ""
    # Over the per-IP limit: seconds until this client may sign up again.
    retry_after: int = 0

    @property
    def press_again(self) -> bool:
        return self.reason in PRESS_AGAIN_STEPS

    @property
    def expired(self) -> bool:
        return self.reason == "form_expired"

    @property
    def needs_captcha(self) -> bool:
        return self.reason == "captcha"

    @property
    def over_limit(self) -> bool:
        return self.reason == "ip_rate"


ALLOW = Verdict(True)


def make_form_token(*, rendered: float | None = None, second_step: str = "") -> str:
    """Signed time of the page view a form belongs to; pages served from a cache fetch a
    fresh one by script when they load.

    `second_step`: the step that asked the reader to press again. Their next press that
    passes is counted as a second step completed, by that step.
    """
    payload: dict[str, Any] = {"t": time.time() if rendered is None else rendered}
    if second_step:
        payload["r"] = second_step
    return signing.dumps(payload, salt=FORM_TOKEN_SALT)


def token_for_resubmit(fields: Mapping[str, str], verdict: Verdict | None = None) -> str:
    """The token a re-shown form carries: a second step's, when the pipeline asked for one;
    else the reader's own while it is valid, and a fresh one for one that expired or that
    we can't read (a form with a bad address is shown again before the pipeline runs)."""
    if verdict is not None and verdict.token:
        return verdict.token
    if _read_token(fields)[1] in ("form_expired", "form_token"):
        return make_form_token()
    return fields.get(FORM_TOKEN_FIELD, "")


def check(fields: Mapping[str, str], *, ip: str | None) -> Verdict:
    """Run every step on a submission's fields, sent from `ip` (None when unknown).

    A step answers None when the submission passes it; the first that trips decides.
    """
    payload, unreadable = _read_token(fields)
    verdict = (
        _honeypot(fields)
        or _fill_time(fields, payload, unreadable)
        or _ip_rate(fields, ip)
        or ALLOW
    )
    if verdict.allowed:
        _count_second_step(payload)
    else:
        logger.info("event=signup.blocked reason=%s", verdict.reason)
        instruments.SIGNUPS_BLOCKED.labels(verdict.reason).inc()
    return verdict


def _honeypot(fields: Mapping[str, str]) -> Verdict | None:
    return Verdict(False, "honeypot") if fields.get(app_settings.SIGNUP_HONEYPOT_FIELD) else None


def _read_token(fields: Mapping[str, str]) -> tuple[dict[str, Any], str]:
    """The form token's payload, or the step it fails: form_expired or form_token."""
    token = fields.get(FORM_TOKEN_FIELD, "")
    try:
        payload = signing.loads(
            token, salt=FORM_TOKEN_SALT, max_age=app_settings.SIGNUP_FORM_MAX_AGE
        )
    except signing.SignatureExpired:
        return {}, "form_expired"  # a person who left the tab open
    except signing.BadSignature:
        return {}, "form_token"  # no token, a forged one, or one signed with a retired key
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), int | float):
        return {}, "form_token"
    return payload, ""


def _fill_time(
    fields: Mapping[str, str], payload: dict[str, Any], unreadable: str
) -> Verdict | None:
    if unreadable:
        # The fill time of the reissued token counts from now: sending an old or forged
        # token back must not skip the wait.
        return Verdict(False, unreadable, token=make_form_token(second_step=unreadable))
    if time.time() - payload["t"] >= app_settings.SIGNUP_MIN_FILL_SECONDS:
        return None
    if payload.get("r"):
        # Pressed again too soon: the same token, whose time keeps running.
        return Verdict(False, "too_fast_again", token=fields[FORM_TOKEN_FIELD])
    # The clock keeps counting from the page view: a reader who presses again a moment
    # later is through, and a client that reposts at once is still too fast.
    token = make_form_token(rendered=payload["t"], second_step="too_fast")
    return Verdict(False, "too_fast", token=token)


def _count_second_step(payload: dict[str, Any]) -> None:
    step = payload.get("r")
    if step:
        # Tokens signed before steps were named carry 1: only an expired form was reissued.
        instruments.SECOND_STEPS_COMPLETED.labels(
            step if isinstance(step, str) else "form_expired"
        ).inc()


def _ip_rate(fields: Mapping[str, str], ip: str | None) -> Verdict | None:
    if not app_settings.SIGNUP_IP_LIMITS:
        return None
    # Counted by client (an IPv6 /64, an IPv4-mapped address as its IPv4), not by address.
    key = origin.address_key(ip) if ip else ratelimit.UNKNOWN_CLIENT
    try:
        if ratelimit.within_limits(key):
            return None
        if captcha.provider() is None:
            return Verdict(False, "ip_rate", retry_after=ratelimit.retry_after(key))
    except Exception as exc:
        # Fail open: losing real readers' sign-ups to a Redis outage is worse than a burst,
        # and the per-address cap in the database still protects every inbox.
        logger.warning("event=ratelimit.unavailable error=%s", type(exc).__name__)
        return None
    # Over the limit with a captcha configured: a person who solves it is let through. The
    # provider is asked only here, so readers under the limit never wait for it.
    answer = captcha.answer(fields)
    if answer and captcha.verify(answer, ip):
        instruments.SECOND_STEPS_COMPLETED.labels("captcha").inc()
        return None
    return Verdict(False, "captcha")


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
