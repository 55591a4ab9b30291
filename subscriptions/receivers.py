"""Provider events that reach us through anymail's webhooks: an entry point, like the views.

Inbound mail: the `mailto:` in List-Unsubscribe (when UNSUBSCRIBE_MAILTO is set) names the
subscription in its subject, as a signed unsubscribe token. The mail unsubscribes it when it
comes from that subscription's own address, so nobody can unsubscribe someone else by mail.
"""

import logging
import re
from typing import Any

from anymail.signals import AnymailInboundEvent

from . import lifecycle, services
from .models import Subscription
from .tokens import check_unsubscribe_token

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
        if found and found.subscriber.email.casefold() == from_address.casefold():
            services.unsubscribe(
                subscription_id=found.pk,
                actor=lifecycle.READER,
                detail=f"mailto: (RFC 2369) via {esp_name}",
            )
            return
    logger.info("event=inbound.ignored esp=%s reason=no_matching_subscription", esp_name)
