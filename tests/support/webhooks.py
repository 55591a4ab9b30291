"""Provider webhooks as tests drive them: the provider posts, then the worker the call woke
applies what was stored (in-process tests run no worker)."""

import base64
from typing import Any

from django.test import Client
from django.utils import timezone

from subscriptions import services
from subscriptions.models import ProviderEvent

from .provider_payloads import WebhookCall

SECRET = "anymail:webhook-secret"  # tests/settings.py's ANYMAIL_WEBHOOK_SECRET


def post_tracking(client: Client, call: WebhookCall, *, auth: str | None = SECRET, **extra: Any):
    """Post one tracking call as the provider does, then apply what it stored."""
    headers: dict[str, Any] = dict(call.headers)
    if auth is not None:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    answer = client.generic(
        "POST", call.path, call.body, content_type=call.content_type, **headers, **extra
    )
    services.apply_recorded_provider_events()
    return answer


def record_event(
    recipient: str,
    kind: str,
    *,
    event_id: str = "e-1",
    metadata: dict[str, str] | None = None,
    raw: dict | None = None,
    reason: str = "550 no such user",
) -> bool:
    """A Postmark event of `kind` (bounces.classify's reading), stored as the webhook stores
    it, for a worker to apply; False if it was stored before."""
    return services.record_provider_event(
        event=services.ProviderEventInput(
            provider="Postmark",
            event_type="bounced",
            kind=kind,
            recipient=recipient,
            message_id=f"m-{event_id}",
            event_id=event_id,
            metadata=metadata or {},
            occurred_at=timezone.now(),
            raw=raw or {},
            reason=reason,
        )
    )


def apply_event(recipient: str, kind: str, **options: Any) -> str:
    """record_event, then applied as the worker does: what it did, or "duplicate"."""
    if not record_event(recipient, kind, **options):
        return "duplicate"
    services.apply_recorded_provider_events()
    return ProviderEvent.objects.latest("pk").effect
