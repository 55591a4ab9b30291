"""Optional captcha, off by default: Cloudflare Turnstile, hCaptcha or Friendly Captcha.

Configured by CAPTCHA_PROVIDER, CAPTCHA_SITE_KEY and CAPTCHA_SECRET. Each provider's widget
puts its answer in a form field; we check it server-side against the provider's siteverify.
This table is the only one: the page that shows a widget adds its provider's sources to that
response's Content-Security-Policy (allow_widget), and no other page allows them. An unknown
CAPTCHA_PROVIDER stops the start (checks.refuse_unusable_settings).
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import requests
from csp.constants import SELF
from django.http import HttpResponse

from ..app_settings import app_settings

logger = logging.getLogger("subscriptions.captcha")


@dataclass(frozen=True)
class Provider:
    script: str  # widget script, loaded from the provider (allowed in the CSP)
    widget_class: str
    response_field: str
    verify_url: str
    # What the widget loads, per directive, from the provider's CSP documentation.
    csp: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    json_api: bool = False  # Friendly Captcha v2 takes JSON and an X-API-Key header


_HCAPTCHA = ("https://hcaptcha.com", "https://*.hcaptcha.com")
_FRCAPI = ("https://global.frcapi.com", "https://eu.frcapi.com")

PROVIDERS = {
    "turnstile": Provider(
        "https://challenges.cloudflare.com/turnstile/v0/api.js",
        "cf-turnstile",
        "cf-turnstile-response",
        "https://challenges.cloudflare.com/turnstile/v0/siteverify",
        csp={
            "script-src": ("https://challenges.cloudflare.com",),
            "frame-src": ("https://challenges.cloudflare.com",),
        },
    ),
    "hcaptcha": Provider(
        "https://js.hcaptcha.com/1/api.js",
        "h-captcha",
        "h-captcha-response",
        "https://api.hcaptcha.com/siteverify",
        csp={d: _HCAPTCHA for d in ("script-src", "frame-src", "style-src", "connect-src")},
    ),
    # Friendly Captcha's SDK comes from jsDelivr, which serves any npm package, so only its
    # @friendlycaptcha/ path is allowed, never the whole CDN.
    "friendly": Provider(
        "https://cdn.jsdelivr.net/npm/@friendlycaptcha/sdk@0.1.31/site.min.js",
        "frc-captcha",
        "frc-captcha-response",
        "https://global.frcapi.com/api/v2/captcha/siteverify",
        csp={
            "script-src": ("https://cdn.jsdelivr.net/npm/@friendlycaptcha/",),
            "frame-src": _FRCAPI,
            "connect-src": _FRCAPI,
        },
        json_api=True,
    ),
}


def provider() -> Provider | None:
    return PROVIDERS.get(app_settings.CAPTCHA_PROVIDER)


def allow_widget(response: HttpResponse, chosen: Provider) -> HttpResponse:
    """The page that shows the widget, its Content-Security-Policy opened to what the widget
    loads, and no other page: what csp.decorators.csp_update sets, for this response alone.
    With 'self' first, since a directive the site's policy leaves out (frame-src, connect-src)
    falls back to default-src 'self', which naming it must keep; django-csp drops a repeat."""
    sources = {directive: [SELF, *origins] for directive, origins in chosen.csp.items()}
    setattr(response, "_csp_update", sources)  # noqa: B010
    return response


def answer(fields: Mapping[str, str]) -> str:
    """The widget's answer among the submitted fields ('' without a captcha or an answer)."""
    chosen = provider()
    return fields.get(chosen.response_field, "") if chosen else ""


def verify(answer: str, ip: str | None) -> bool:
    """Whether the provider accepts the widget's answer (always, with no captcha configured)."""
    chosen = provider()
    if chosen is None:
        return True
    if not answer:
        return False
    url = app_settings.CAPTCHA_VERIFY_URL or chosen.verify_url
    try:
        if chosen.json_api:
            payload = {"response": answer, "sitekey": app_settings.CAPTCHA_SITE_KEY}
            headers = {"X-API-Key": app_settings.CAPTCHA_SECRET}
            reply = requests.post(url, json=payload, headers=headers, timeout=5)
        else:
            data = {
                "secret": app_settings.CAPTCHA_SECRET,
                "response": answer,
                "remoteip": ip or "",
            }
            reply = requests.post(url, data=data, timeout=5)
        return bool(reply.json().get("success"))
    except (requests.RequestException, ValueError) as exc:
        # Fail open, like the rate limit: the per-address cap still protects inboxes, and a
        # provider outage must not silently drop real readers.
        logger.warning("event=captcha.unavailable error=%s", type(exc).__name__)
        return True
