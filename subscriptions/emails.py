"""Rendering and sending emails: subject, text and HTML from templates, like Django's
PasswordResetForm.send_mail and allauth's render_mail(template_prefix)."""

from collections.abc import Sequence

from anymail.exceptions import AnymailAPIError, AnymailError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from .models import ConfirmationRequest, Subscription
from .tokens import make_confirm_token


def absolute_url(path: str) -> str:
    """Links in emails are built from SITE_URL, never from a request's Host header."""
    return settings.SITE_URL + path


def render_mail(
    template_prefix: str, context: dict, to: str, headers: dict | None = None
) -> EmailMultiAlternatives:
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"{template_prefix}_subject.txt", context)
    # A newline in a subject would start a new header.
    subject = " ".join(subject.split())
    message = EmailMultiAlternatives(
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
    request: ConfirmationRequest, subscriptions: Sequence[Subscription]
) -> EmailMultiAlternatives:
    newsletters = [s.newsletter for s in subscriptions]
    token = make_confirm_token(request.pk)
    message = render_mail(
        "subscriptions/email/confirm",
        {
            "newsletters": newsletters,
            "email": request.subscriber.email,
            "confirm_url": absolute_url(reverse("subscriptions:confirm_link", args=[token])),
            "expires_days": settings.CONFIRMATION_MAX_AGE // 86400,
        },
        to=request.subscriber.email,
    )
    # anymail passes these to the provider, so its logs and webhooks tie back to our rows.
    message.tags = ["confirmation"]
    message.metadata = {"confirmation_request": str(request.pk)}
    # Click tracking rewrites links; the confirm link must reach us unaltered.
    message.track_clicks = False
    message.track_opens = False
    return message


def send(message: EmailMultiAlternatives) -> str:
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
