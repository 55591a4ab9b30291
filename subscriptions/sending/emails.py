"""Rendering and sending emails: subject, text and HTML from templates, like Django's
PasswordResetForm.send_mail and allauth's render_mail(template_prefix).

Messages are anymail's AnymailMessage, an EmailMultiAlternatives with typed tags, metadata and
tracking options; backends other than anymail's (the dev mailbox) ignore those."""

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.errors import MessageError
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import requests
from anymail.exceptions import AnymailAPIError, AnymailError
from anymail.message import AnymailMessage
from django.conf import settings
from django.core.mail import get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from ..app_settings import app_settings
from ..core.tokens import make_confirm_token, make_data_export_token
from ..models import ConfirmationEmail, DataExportEmail, Subscription
from ..stats import instruments
from .mail import Mail


def absolute_url(path: str) -> str:
    """Links in emails are built from SITE_URL, never from a request's Host header."""
    return app_settings.SITE_URL + path


@dataclass(frozen=True)
class Parts:
    subject: str
    text: str
    html: str

    def filled(self, values: dict[str, str]) -> "Parts":
        """These parts with each marker replaced by its value, escaped in the HTML as
        autoescaping would have."""
        text, html = self.text, self.html
        for name, value in values.items():
            text = text.replace(marker(name), value)
            html = html.replace(marker(name), escape(value))
        return Parts(self.subject, text, html)


def site() -> tuple[str, str, str]:
    """What the layout shows of the site (templates/subscriptions/email/base.html): part of
    the key of every cache of rendered parts, so a changed setting renders them anew."""
    logo = app_settings.SITE_LOGO_URL
    # A logo given as a path is served by this site; an email needs the whole URL.
    logo = urljoin(absolute_url("/"), logo) if logo else ""
    return (app_settings.SITE_NAME, app_settings.SITE_URL, logo)


def render_parts(template_prefix: str, context: dict[str, Any]) -> Parts:
    """Every email's subject, text and HTML; each HTML template extends the one layout."""
    name, url, logo = site()
    context = {"site_name": name, "site_url": url, "site_logo_url": logo, **context}
    # A newline in a subject would start a new header.
    subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    return Parts(
        subject,
        render_to_string(f"{template_prefix}_message.txt", context),
        render_to_string(f"{template_prefix}_message.html", context),
    )


def build_mail(parts: Parts, to: str, headers: dict[str, str] | None = None) -> AnymailMessage:
    message = Mail(
        subject=parts.subject,
        body=parts.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers or {},
    )
    message.attach_alternative(parts.html, "text/html")
    return message


def marker(name: str) -> str:
    """A stand-in for a per-reader value in parts rendered once for many (Parts.filled)."""
    # Private-use characters: no template, translation or escaping produces or alters them.
    return f"\ue000{name}\ue000"


@lru_cache(maxsize=256)
def _confirmation_parts(
    language: str, lists: tuple[str, ...], days: int, layout: tuple[str, str, str]
) -> Parts:
    """The confirmation email for these lists, with markers for the address and the link.

    Rendered once per language and set of lists, not once per email: rendering was most of
    what a send cost the worker. The key holds everything the templates read.
    """
    context = {
        "newsletters": [{"name": name} for name in lists],
        "email": marker("email"),
        "confirm_url": marker("confirm_url"),
        "expires_days": days,
    }
    return render_parts("subscriptions/email/confirm", context)


def confirmation_message(
    confirmation: ConfirmationEmail, subscriptions: Sequence[Subscription]
) -> AnymailMessage:
    """In the current language (the caller sets the reader's)."""
    token = make_confirm_token(confirmation.pk)
    address = confirmation.subscriber.email
    parts = _confirmation_parts(
        translation.get_language() or "",
        tuple(s.newsletter.name for s in subscriptions),
        app_settings.CONFIRMATION_MAX_AGE // 86400,
        site(),
    )
    link = absolute_url(reverse("subscriptions:confirm_link", args=[token]))
    message = build_mail(parts.filled({"email": address, "confirm_url": link}), to=address)
    # The metadata key predates the model's rename; messages already sent carry it.
    return _untracked(message, "confirmation", {"confirmation_request": str(confirmation.pk)})


def data_export_message(export: DataExportEmail) -> AnymailMessage:
    """The link to a reader's own data, to their own address, in the current language."""
    token = make_data_export_token(export.pk)
    context = {
        "data_url": absolute_url(reverse("subscriptions:data_export_link", args=[token])),
        "hours": app_settings.DATA_EXPORT_LINK_MAX_AGE // 3600,
    }
    message = build_mail(
        render_parts("subscriptions/email/data_export", context), export.subscriber.email
    )
    # The link opens the reader's whole record: it must not pass through a tracking redirect.
    return _untracked(message, "data_export", {"data_export": str(export.pk)})


def _untracked(message: AnymailMessage, tag: str, metadata: dict[str, str]) -> AnymailMessage:
    """A message whose one link is the reader's own: tagged, and tied to our row by metadata
    (anymail passes both to the provider, so its logs and webhooks lead back to us), with
    click and open tracking off, since a tracking redirect would rewrite that link."""
    message.tags = [tag]
    message.metadata = metadata
    message.track_clicks = False
    message.track_opens = False
    return message


def send(message: AnymailMessage) -> str:
    """Send and return the provider's message id ('' when the backend reports none)."""
    message.send(fail_silently=False)
    status = getattr(message, "anymail_status", None)
    return (status.message_id or "") if status and isinstance(status.message_id, str) else ""


def send_later(messages: Sequence[AnymailMessage]) -> list["Future[str | Exception]"]:
    """Start sending; each future holds the provider's message id or the error.

    A provider call waits on the network, not the CPU, so the calls run in threads (up to
    SEND_CONCURRENCY); each thread keeps one open connection to the provider and reuses it.
    """
    return [_executor().submit(_send_or_error, message) for message in messages]


def _send_or_error(message: AnymailMessage) -> str | Exception:
    started = time.perf_counter()
    try:
        message.connection = _connection()
        result: str | Exception = send(message)
    except Exception as exc:  # the caller decides what each error means for its message
        result = exc
    outcome = "error" if isinstance(result, Exception) else "sent"
    instruments.PROVIDER_CALL_SECONDS.labels(outcome).observe(time.perf_counter() - started)
    return result


_local = threading.local()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _connection() -> Any:
    # Keyed by the configuration, which tests change between runs.
    key = (settings.EMAIL_BACKEND, repr(sorted(getattr(settings, "ANYMAIL", {}).items())))
    cached = getattr(_local, "connection", None)
    if cached is None or cached[0] != key:
        connection = get_connection(fail_silently=False)
        connection.open()
        _read_environment_once(connection)
        _local.connection = cached = (key, connection)
    return cached[1]


def _read_environment_once(connection: Any) -> None:
    # requests reads the proxy and CA settings from the environment on every call of a
    # session (trust_env), which cost a send as much as composing its message. An anymail
    # connection talks to one API host, so they are read once, with the same rules.
    session = getattr(connection, "session", None)
    if isinstance(session, requests.Session) and getattr(connection, "api_url", None):
        session.proxies = requests.utils.get_environ_proxies(connection.api_url)
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        session.verify = ca_bundle or True
        session.trust_env = False


def _executor() -> ThreadPoolExecutor:
    # One pool per process: a pool made before a fork has no threads in the child. Every kind
    # a process sends shares it, which is why confirmations have a worker process of their own.
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        size = app_settings.SEND_CONCURRENCY
        _pool = (os.getpid(), ThreadPoolExecutor(size, thread_name_prefix="send"))
    return _pool[1]


def is_transient(exc: AnymailError) -> bool:
    """Worth retrying: the provider is down, overloaded or unreachable (no status at all)."""
    if not isinstance(exc, AnymailAPIError):
        return False
    status = getattr(exc, "status_code", None)
    return status is None or status == 429 or status >= 500


def cannot_be_built(exc: Exception) -> bool:
    """Our message is at fault, not the provider or the reader: a line break in a header
    (Django's BadHeaderError), a value the email package can't encode. No retry sends it."""
    return isinstance(exc, ValueError | MessageError)


def provider_name(exc: AnymailError) -> str:
    name = getattr(getattr(exc, "backend", None), "esp_name", None) or "esp"
    return name.lower()
