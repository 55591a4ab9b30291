"""The numbers /metrics reads from the database at scrape time, so that they are right however
many web and worker processes and hosts there are. Each is a running count (models.Tally) or a
query on a small, indexed set: a scrape costs a few milliseconds at a million subscriptions."""

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..core import kinds, tally
from ..models import Newsletter, ProviderEvent, RecordedSignUp, Status, Suppression

OUTCOMES = (
    "queued",
    "sent",
    "retried",
    "refused",
    "failed",
    "skipped",
    "suppressed",
    "requeued",
)


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        counts = tally.counts()
        slugs = dict(Newsletter.objects.values_list("pk", "slug"))
        yield from _sign_ups(counts)
        yield _emails(counts)
        yield from _subscriptions(counts, slugs)
        yield from _provider_events(counts)
        yield from _waiting(
            "newsroom_outbox",
            "Emails queued and not sent yet, and the oldest one's age, by kind.",
            {kind.name: kind.model.objects.queued() for kind in kinds.declared()},
        )
        yield from _waiting(
            "newsroom_provider_events",
            "Provider events stored by a webhook and not applied yet, and the oldest one's age.",
            {"": ProviderEvent.objects.waiting()},
            since="received_at",
        )


def _sign_ups(counts: dict[str, int]) -> Iterator[Metric]:
    waiting = RecordedSignUp.objects.all()
    processed = counts[tally.SIGNUPS_PROCESSED]
    recorded = CounterMetricFamily(
        "newsroom_signups_recorded", "Sign-ups the endpoint accepted and recorded."
    )
    recorded.add_metric([], processed + waiting.count())
    yield recorded
    done = CounterMetricFamily(
        "newsroom_signups_processed", "Recorded sign-ups a worker turned into subscriptions."
    )
    done.add_metric([], processed)
    yield done
    yield from _waiting(
        "newsroom_signups",
        "Recorded sign-ups waiting for a worker, and the oldest one's age.",
        {"": waiting},
    )


def _emails(counts: dict[str, int]) -> Metric:
    family = CounterMetricFamily(
        "newsroom_emails",
        "Emails by what happened to them: queued, sent, retried (a transient provider error), "
        "refused (the address, or given up after the retry window), failed (our provider "
        "configuration), skipped (nothing left to send), suppressed (the inbox bounced for "
        "good or complained), requeued (by an operator).",
        labels=["kind", "outcome"],
    )
    for kind in (declared.name for declared in kinds.declared()):
        for outcome in OUTCOMES:
            family.add_metric([kind, outcome], counts[tally.emails(kind, outcome)])
    return family


def _provider_events(counts: dict[str, int]) -> Iterator[Metric]:
    reported = CounterMetricFamily(
        "newsroom_provider_events",
        "Events providers reported, by provider and kind: hard_bounce, soft_bounce, "
        "complaint, unsubscribe, rejected, other.",
        labels=["provider", "kind"],
    )
    for key in sorted(k for k in counts if k.startswith("provider_events:")):
        _, provider, kind = key.split(":", 2)
        reported.add_metric([provider, kind], counts[key])
    yield reported
    suppressed = GaugeMetricFamily(
        "newsroom_suppressed_inboxes",
        "Inboxes we don't write to, by reason (hard_bounce, complaint, soft_bounces).",
        labels=["reason"],
    )
    active = dict(
        Suppression.objects.active().values_list("reason").annotate(n=Count("pk")).order_by()
    )
    for reason in Suppression.Reason:
        suppressed.add_metric([reason.value], active.get(reason.value, 0))
    yield suppressed


def _subscriptions(counts: dict[str, int], slugs: dict[int, str]) -> Iterator[Metric]:
    now = GaugeMetricFamily(
        "newsroom_subscriptions", "Subscriptions by list and status.", labels=["list", "status"]
    )
    left = CounterMetricFamily(
        "newsroom_unsubscribes", "Subscriptions that left a list, by list.", labels=["list"]
    )
    for pk, slug in sorted(slugs.items(), key=lambda item: item[1]):
        for status in Status:
            now.add_metric([slug, status.value], counts[tally.subscriptions(pk, status.value)])
        left.add_metric([slug], counts[tally.unsubscribes(pk)])
    yield now
    yield left


def _waiting(
    name: str, documentation: str, sets: dict[str, QuerySet[Any]], since: str = "created_at"
) -> Iterator[Metric]:
    """`name`_waiting and `name`_oldest_waiting_seconds (from each row's `since`), by kind
    where there are kinds."""
    labels = ["kind"] if any(sets) else []
    count = GaugeMetricFamily(f"{name}_waiting", documentation, labels=labels)
    age = GaugeMetricFamily(f"{name}_oldest_waiting_seconds", documentation, labels=labels)
    for kind, rows in sets.items():
        oldest = rows.order_by(since).values_list(since, flat=True).first()
        key = [kind] if kind else []
        count.add_metric(key, rows.count())
        age.add_metric(key, (timezone.now() - oldest).total_seconds() if oldest else 0.0)
    yield count
    yield age
