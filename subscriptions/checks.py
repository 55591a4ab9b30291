"""What the app asks of its settings. refuse_unusable_settings stops every process's start
(apps.py) on a value the app can't work with, which only the app can judge, its defaults being
the app's; the system checks, seen in `manage.py check --deploy`, warn about what the law or the
mailbox providers ask of a sender, and settings can't refuse to start without."""

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from .app_settings import app_settings
from .guards import captcha

_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def refuse_unusable_settings() -> None:
    provider = app_settings.CAPTCHA_PROVIDER
    if provider and provider not in captcha.PROVIDERS:
        # A typo would otherwise switch the captcha off without a word.
        names = ", ".join(captcha.PROVIDERS)
        raise ImproperlyConfigured(f"CAPTCHA_PROVIDER must be one of {names}, got {provider!r}.")
    # Email workers run a thread pool, where Celery enforces no time limit: each provider call is
    # bounded by its own timeout instead, and a sender's claim must outlast the longest batch
    # (its composing and one call). Otherwise a slow but live send could lose its claim to a
    # second one.
    timeout = getattr(settings, "ANYMAIL", {}).get("REQUESTS_TIMEOUT") or 0
    time_limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", None) or 0
    if max(time_limit, 2 * timeout) >= app_settings.SEND_LEASE:
        raise ImproperlyConfigured(
            "SEND_LEASE must be longer than SEND_TIME_LIMIT and twice ANYMAIL_REQUESTS_TIMEOUT."
        )


@register(Tags.compatibility, deploy=True)
def postal_address_is_set(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if app_settings.POSTAL_ADDRESS.strip():
        return []
    return [
        Warning(
            "POSTAL_ADDRESS is empty: list emails show no postal address.",
            hint="CAN-SPAM asks every commercial email for the sender's valid physical "
            "postal address; set POSTAL_ADDRESS to the newsroom's.",
            id="subscriptions.W001",
        )
    ]


def _behind_tls_proxy() -> bool:
    # What BEHIND_TLS_PROXY=1 sets (newsroom/settings.py).
    return settings.SECURE_PROXY_SSL_HEADER is not None


# A warning, not a refusal at start: a proxy that speaks the PROXY protocol to gunicorn
# (HAProxy, a cloud load balancer; `gunicorn --proxy-protocol`) puts the real client in
# REMOTE_ADDR, and needs no header. Such an operator silences W002 on purpose
# (SILENCED_SYSTEM_CHECKS); everyone else learns of it before the first reader is refused.
@register(Tags.security, deploy=True)
def client_ip_header_behind_proxy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not _behind_tls_proxy() or app_settings.CLIENT_IP_HEADER:
        return []
    return [
        Warning(
            "BEHIND_TLS_PROXY is on but CLIENT_IP_HEADER is empty: every request seems to come "
            "from the proxy's address.",
            hint="All readers then share one per-IP sign-up limit, one admin sign-in limit and "
            "axes' lockouts. Make the proxy overwrite a header with the client's address "
            "(nginx: proxy_set_header X-Forwarded-For $remote_addr;) and set "
            "CLIENT_IP_HEADER=HTTP_X_FORWARDED_FOR.",
            id="subscriptions.W002",
        )
    ]


@register(Tags.security, deploy=True)
def no_loopback_metrics_behind_proxy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not _behind_tls_proxy():
        return []
    loopback = [entry for entry in app_settings.METRICS_ALLOWED_IPS if _is_loopback(entry)]
    if not loopback:
        return []
    return [
        Warning(
            f"METRICS_ALLOWED_IPS lets loopback read /metrics behind a TLS proxy: "
            f"{', '.join(loopback)}.",
            hint="The proxy itself connects from loopback, so a missing or misconfigured "
            "CLIENT_IP_HEADER opens /metrics (list slugs included) to the world. Scrape with "
            "METRICS_TOKEN, or allow the Prometheus server's own address.",
            id="subscriptions.W003",
        )
    ]


def _is_loopback(entry: str) -> bool:
    try:
        network = ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return False
    return any(network.version == lo.version and network.overlaps(lo) for lo in _LOOPBACK)
