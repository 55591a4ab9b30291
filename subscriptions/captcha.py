"""Optional captcha, off by default: Cloudflare Turnstile, hCaptcha or Friendly Captcha.

Configured by env (CAPTCHA_PROVIDER, CAPTCHA_SITE_KEY, CAPTCHA_SECRET). Each provider's widget
puts its answer in a form field; we check it server-side against the provider's siteverify.
"""

import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger("subscriptions.captcha")


@dataclass(frozen=True)
class Provider:
    script: str  # widget script, loaded from the provider (allowed in the CSP)
    widget_class: str
    response_field: str
    verify_url: str
    json_api: bool = False  # Friendly Captcha v2 takes JSON and an X-API-Key header


PROVIDERS = {
    "turnstile": Provider(
        "https://challenges.cloudflare.com/turnstile/v0/api.js",
        "cf-turnstile",
        "cf-turnstile-response",
        "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    ),
    "hcaptcha": Provider(
        "https://js.hcaptcha.com/1/api.js",
        "h-captcha",
        "h-captcha-response",
        "https://api.hcaptcha.com/siteverify",
    ),
    "friendly": Provider(
        "https://cdn.jsdelivr.net/npm/@friendlycaptcha/sdk@0.1.31/site.min.js",
        "frc-captcha",
        "frc-captcha-response",
        "https://global.frcapi.com/api/v2/captcha/siteverify",
        json_api=True,
    ),
}


def provider() -> Provider | None:
    return PROVIDERS.get(settings.CAPTCHA_PROVIDER)


def verify(request: HttpRequest, ip: str | None) -> bool:
    chosen = provider()
    if chosen is None:
        return True
    answer = request.POST.get(chosen.response_field, "")
    if not answer:
        return False
    url = settings.CAPTCHA_VERIFY_URL or chosen.verify_url
    try:
        if chosen.json_api:
            payload = {"response": answer, "sitekey": settings.CAPTCHA_SITE_KEY}
            headers = {"X-API-Key": settings.CAPTCHA_SECRET}
            reply = requests.post(url, json=payload, headers=headers, timeout=5)
        else:
            data = {"secret": settings.CAPTCHA_SECRET, "response": answer, "remoteip": ip or ""}
            reply = requests.post(url, data=data, timeout=5)
        return bool(reply.json().get("success"))
    except (requests.RequestException, ValueError) as exc:
        # Fail open, like the rate limit: the per-address cap still protects inboxes, and a
        # provider outage must not silently drop real readers.
        logger.warning("event=captcha.unavailable error=%s", type(exc).__name__)
        return True
