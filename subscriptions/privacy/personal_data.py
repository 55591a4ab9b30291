"""Everything we hold about one subscriber, as one JSON document (GDPR Art. 15, access, and
Art. 20, portability): for an editor's admin action and for the reader's own download.

A read: it changes nothing. Field names are plain English and stable, so the document can be
read by a person and loaded by a program; `format` and `version` name this layout.

The reader's own copy names an editor's change as "editor": our staff's usernames are not
theirs to hold. The editor's export keeps the full actor (`staff=True`).
"""

import io
import json
import zipfile
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model
from django.http import HttpResponse
from django.utils import timezone

from ..core import consent, kinds
from ..models import (
    Consent,
    Event,
    ProviderEvent,
    RecordedSignUp,
    Subscriber,
    Subscription,
    Suppression,
)

FORMAT = "newsroom-subscriptions/personal-data"
VERSION = 1


def document(
    subscriber: Subscriber, *, now: datetime | None = None, staff: bool = False
) -> dict[str, Any]:
    who = _actor_for_staff if staff else _actor_for_reader
    subscriptions = Subscription.objects.filter(subscriber=subscriber).in_list_order()
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now or timezone.now(),
        "subscriber": _fields(subscriber, "email", "language", "created_at", "changed_at")
        | {"changed_by": who(subscriber.changed_by)},
        "subscriptions": [_subscription(s) for s in subscriptions],
        "consents": [
            _fields(c, "id", "given_at", "page_url", "form_id", "ip_address", "user_agent")
            | {
                "wording": c.wording,
                "wording_version": c.version,
                "wording_version_meant": consent.meaning(c.version),
            }
            for c in Consent.objects.filter(subscriber=subscriber).order_by("given_at", "pk")
        ],
        "events": [
            {"list": e.subscription.newsletter.slug}
            | _fields(e, "at", "from_status", "to_status")
            | {"actor": who(e.actor), "detail": e.detail}
            for e in Event.objects.filter(subscription__subscriber=subscriber)
            .select_related("subscription__newsletter")
            .order_by("at", "pk")
        ],
        "emails": _emails(subscriber),
        "provider_events": [
            _fields(e, "provider", "event_type", "kind", "recipient", "occurred_at", "raw")
            for e in ProviderEvent.objects.about_address(
                inbox_key=subscriber.inbox_key, email_key=subscriber.email_key
            ).order_by("occurred_at", "pk")
        ],
        # Sign-ups a worker has not processed yet (normally for well under a second).
        "waiting_sign_ups": [
            _fields(r, "created_at", "newsletter_ids", "page_url", "form_id", "ip_address")
            for r in RecordedSignUp.objects.of_address(subscriber.email).order_by("pk")
        ],
        "suppressions": [
            _fields(s, "reason", "created_at", "lifted_at")
            | {"actor": who(s.actor), "lifted_by": who(s.lifted_by)}
            for s in Suppression.objects.applying_to(
                inbox_key=subscriber.inbox_key, email_key=subscriber.email_key
            )
        ],
    }


def as_json(subscriber: Subscriber, *, now: datetime | None = None, staff: bool = False) -> str:
    data = document(subscriber, now=now, staff=staff)
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2)


def filename(subscriber: Subscriber, now: datetime | None = None) -> str:
    # The id, not the address: file names end up in download folders and logs.
    return f"newsroom-data-{subscriber.pk}-{(now or timezone.now()):%Y%m%d}.json"


def download(
    subscribers: list[Subscriber], *, now: datetime | None = None, staff: bool = False
) -> HttpResponse:
    """The file a reader or an editor downloads: one subscriber's document, or a zip of one
    document each for several."""
    now = now or timezone.now()
    if len(subscribers) == 1:
        body: bytes | str = as_json(subscribers[0], now=now, staff=staff)
        content_type, name = "application/json; charset=utf-8", filename(subscribers[0], now)
    else:
        body, content_type = _zipped(subscribers, now, staff), "application/zip"
        name = f"newsroom-data-{len(subscribers)}-subscribers-{now:%Y%m%d}.zip"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _zipped(subscribers: list[Subscriber], now: datetime, staff: bool) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for subscriber in subscribers:
            document = as_json(subscriber, now=now, staff=staff)
            archive.writestr(filename(subscriber, now), document)
    return buffer.getvalue()


def _subscription(s: Subscription) -> dict[str, Any]:
    return {"list": s.newsletter.slug, "list_name": s.newsletter.name} | _fields(
        s,
        "status",
        "consent_id",
        "created_at",
        "status_changed_at",
        "pending_at",
        "confirmed_at",
        "unsubscribed_at",
        "undeliverable_at",
        "undeliverable_reason",
    )


def _emails(subscriber: Subscriber) -> list[dict[str, Any]]:
    """What we sent them, or tried to, of every declared kind (kinds.py): the kind, when,
    and how it ended (never the text)."""
    rows: list[tuple[str, Any]] = [
        (kind.name, e) for kind in kinds.declared() for e in kind.rows_of(subscriber)
    ]
    rows.sort(key=lambda row: (row[1].created_at, row[0]))
    return [
        {"kind": kind} | _fields(e, "created_at", "state", "closed_at", "message_id")
        for kind, e in rows
    ]


def _actor_for_reader(actor: str) -> str:
    """ "editor:<username>" -> "editor"; the reader, the system and providers as they are."""
    kind, colon, _ = actor.partition(":")
    return kind if colon and kind == "editor" else actor


def _actor_for_staff(actor: str) -> str:
    return actor


def _fields(row: Model, *names: str) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}
