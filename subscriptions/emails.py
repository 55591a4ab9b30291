"""Rendering and sending emails: subject, text and HTML from templates, like Django's
PasswordResetForm.send_mail and allauth's render_mail(template_prefix).

Messages are anymail's AnymailMessage, an EmailMultiAlternatives with typed tags, metadata and
tracking options; backends other than anymail's (the dev mailbox) ignore those."""

from collections.abc import Sequence
from typing import Any

from anymail.exceptions import AnymailAPIError, AnymailError
from anymail.message import AnymailMessage
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from .app_settings import app_settings
from .models import ConfirmationEmail, Subscription
from .tokens import make_confirm_token


def absolute_url(path: str) -> str:
    """Links in emails are built from SITE_URL, never from a request's Host header."""
    return app_settings.SITE_URL + path


def render_mail(
    template_prefix: str, context: dict[str, Any], to: str, headers: dict[str, str] | None = None
) -> AnymailMessage:
    context = {"site_name": app_settings.SITE_NAME, "site_url": app_settings.SITE_URL, **context}
    # A newline in a subject would start a new header.
    subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    message = AnymailMessage(
        subject=subject,
        body=render_to_string(f"{template_prefix}_message.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers or {},
    )
    message.attach_alternative(
        render_to_string(f"{template_prefix}_message.html", context), "text/html"
    )
    return message


def confirmation_message(
    confirmation: ConfirmationEmail, subscriptions: Sequence[Subscription]
) -> AnymailMessage:
    newsletters = [s.newsletter for s in subscriptions]
    token = make_confirm_token(confirmation.pk)
    address = confirmation.subscriber.email
    message = render_mail(
        "subscriptions/email/confirm",
        {
            "newsletters": newsletters,
            "email": address,
            "confirm_url": absolute_url(reverse("subscriptions:confirm_link", args=[token])),
            "expires_days": app_settings.CONFIRMATION_MAX_AGE // 86400,
        },
        to=address,
    )
    # anymail passes these to the provider, so its logs and webhooks tie back to our rows.
    # The metadata key predates the model's rename; messages already sent carry it.
    message.tags = ["confirmation"]
    message.metadata = {"confirmation_request": str(confirmation.pk)}
    # Click tracking rewrites links; the confirm link must reach us unaltered.
    message.track_clicks = False
    message.track_opens = False
    return message


def send(message: AnymailMessage) -> str:
    """Send and return the provider's message id ('' when the backend reports none)."""
    message.send(fail_silently=False)
    status = getattr(message, "anymail_status", None)
    return (status.message_id or "") if status and isinstance(status.message_id, str) else ""


def is_transient(exc: AnymailError) -> bool:
    """Worth retrying: the provider is down, overloaded or unreachable (no status at all)."""
    if not isinstance(exc, AnymailAPIError):
        return False
    status = getattr(exc, "status_code", None)
    return status is None or status == 429 or status >= 500


def provider_name(exc: AnymailError) -> str:
    name = getattr(getattr(exc, "backend", None), "esp_name", None) or "esp"
    return name.lower()
