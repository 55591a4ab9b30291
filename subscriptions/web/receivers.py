"""Provider events that reach us through anymail's webhooks: an entry point, like the views.

Tracking events (bounces, complaints, unsubscribes at the provider...) are stored once each
(services.record_provider_event); a worker applies them.

Inbound mail: the `mailto:` in List-Unsubscribe (when UNSUBSCRIBE_MAILTO is set) names the
subscription in its subject, as a signed unsubscribe token. The mail unsubscribes it when it
comes from that subscription's own address, so nobody can unsubscribe someone else by mail.
"""

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent

from .. import services
from ..core import bounces, lifecycle
from ..core.tokens import check_unsubscribe_token
from ..guards.validation import inbox_key
from ..models import Subscription

logger = logging.getLogger("subscriptions")

# A signing token: base64url fields joined by colons.
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+:[A-Za-z0-9_\-]+:[A-Za-z0-9_\-]+")


def unsubscribe_by_mail(
    sender: Any, event: AnymailInboundEvent, esp_name: str, **kwargs: Any
) -> None:
    message = event.message
    if message is None:
        return
    subject = message.subject or ""
    from_address = message.from_email.addr_spec if message.from_email else ""
    for candidate in _TOKEN.findall(subject):
        check = check_unsubscribe_token(candidate)
        if not check.valid:
            continue
        subscription = Subscription.objects.select_related("subscriber").filter(pk=check.object_id)
        found = subscription.first()
        # The token names the subscription; the sender need only be of its inbox (a +tag, a
        # dotted Gmail spelling or the case may differ from what the reader typed).
        if found and found.subscriber.inbox_key == _inbox_of(from_address):
            services.unsubscribe(
                subscription_id=found.pk,
                actor=lifecycle.READER,
                detail=f"mailto: (RFC 2369) via {esp_name}",
            )
            return
    logger.info("event=inbound.ignored esp=%s reason=no_matching_subscription", esp_name)


def _inbox_of(address: str) -> str:
    return inbox_key(address) if "@" in address else ""


def record_tracking_event(
    sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    services.record_provider_event(
        event=services.ProviderEventInput(
            provider=esp_name,
            event_type=event.event_type or "unknown",
            kind=bounces.classify(
                esp_name, event.event_type or "", event.esp_event, event.reject_reason or ""
            ),
            recipient=event.recipient or "",
            message_id=str(event.message_id or ""),
            event_id=str(event.event_id or ""),
            metadata={str(k): str(v) for k, v in metadata.items()},
            occurred_at=event.timestamp or datetime.now(UTC),
            raw=_json_ready(event.esp_event),
            reason=event.description or event.mta_response or event.reject_reason or "",
        )
    )


def _json_ready(esp_event: Any) -> Any:
    # Some providers' events are Django QueryDicts or objects: kept as JSON, whatever they are.
    if hasattr(esp_event, "lists"):
        esp_event = {key: values for key, values in esp_event.lists()}
    return json.loads(json.dumps(esp_event, default=str))
