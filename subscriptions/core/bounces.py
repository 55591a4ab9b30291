"""What a provider's event means for us: a hard bounce, a soft one, a complaint...

anymail normalises every provider's events to one `event_type`, but it maps some soft bounces
to "bounced" (Postmark's SoftBounce among them), so whether a bounce is permanent is read from
the provider's own event (`esp_event`), the way each provider says it.
"""

from collections.abc import Callable, Mapping
from typing import Any

HARD_BOUNCE = "hard_bounce"
SOFT_BOUNCE = "soft_bounce"  # soft bounces and deferrals: counted, suppressed when they pile up
COMPLAINT = "complaint"
UNSUBSCRIBE = "unsubscribe"
REJECTED = "rejected"
OTHER = "other"  # delivered, opened, clicked...: stored, nothing to do

_BY_EVENT_TYPE = {
    "complained": COMPLAINT,
    "unsubscribed": UNSUBSCRIBE,
    "rejected": REJECTED,
    "deferred": SOFT_BOUNCE,
}


def _field(event: Any, *path: str) -> Any:
    for key in path:
        event = event.get(key) if isinstance(event, Mapping) else None
    return event


# Per provider: is this "bounced" event permanent? Unknown providers (and Mailgun, whose
# temporary failures anymail already reports as "deferred"): anymail's word for it.
_PERMANENT: dict[str, Callable[[Any], bool]] = {
    # Postmark's bounce Type: HardBounce is permanent; SoftBounce, Transient, DnsError,
    # AutoResponder... are not. (BadEmailAddress reaches us as a rejection, below.)
    "postmark": lambda e: _field(e, "Type") == "HardBounce",
    # Amazon SES: bounce.bounceType is "Permanent", "Transient" or "Undetermined".
    "amazon_ses": lambda e: _field(e, "bounce", "bounceType") == "Permanent",
    # Brevo names its events hard_bounce and soft_bounce.
    "brevo": lambda e: _field(e, "event") in {"hard_bounce", "invalid_email"},
}


def provider_slug(esp_name: str) -> str:
    """anymail's esp_name as we name providers everywhere: "Amazon SES" -> "amazon_ses"."""
    return esp_name.lower().replace(" ", "_")


# A rejection for one of these reasons says the inbox itself is unusable (anymail reports
# Postmark's BadEmailAddress as rejected/invalid, and an address on the provider's own bounce
# list as rejected/bounced): the inbox is suppressed as after a hard bounce.
_INBOX_REJECTED = {"invalid", "bounced"}


def classify(esp_name: str, event_type: str, esp_event: Any, reject_reason: str = "") -> str:
    esp = provider_slug(esp_name)
    if event_type == "rejected" and reject_reason in _INBOX_REJECTED:
        return HARD_BOUNCE
    if event_type in _BY_EVENT_TYPE:
        return _BY_EVENT_TYPE[event_type]
    if event_type == "bounced":
        permanent = _PERMANENT.get(esp, lambda e: True)
        return HARD_BOUNCE if permanent(esp_event) else SOFT_BOUNCE
    if esp == "amazon_ses" and _field(esp_event, "eventType") == "DeliveryDelay":
        return SOFT_BOUNCE  # anymail reports SES's delivery delays as "unknown"
    return OTHER
