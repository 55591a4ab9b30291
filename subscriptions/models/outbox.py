"""The transactional outbox: one row per email to send, written in the transaction that makes
it necessary, and sent by a worker after commit.

OutboxItem carries what every kind of queued email shares: the lease a send holds, the counts
and times the retry rules read, and the "claimable" query a sender runs. Each concrete kind
names itself (metric_kind), and is declared once in the registry (subscriptions/core/kinds.py),
which everything that handles every kind reads: the sender, /metrics, the reader's data.
"""

from collections import Counter
from collections.abc import Collection
from datetime import datetime
from typing import ClassVar, Self

from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from .subscribers import Status, Subscriber, Subscription


class OutboxState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    # Our side: the provider configuration (a bad token...); requeued once it is fixed.
    FAILED = "failed", _("Failed")
    # The reader's side: the provider refused the address, or we gave up retrying it.
    REFUSED = "refused", _("Refused by the provider")
    SKIPPED = "skipped", _("Nothing left to send")
    SUPPRESSED = "suppressed", _("Not sent: the inbox is suppressed")


class OutboxQuerySet(models.QuerySet):
    def created_since(self, since: datetime) -> Self:
        return self.filter(created_at__gte=since)

    def count_by_state(self) -> dict[str, int]:
        return dict(self.values_list("state").annotate(n=Count("pk")).order_by())

    def queued(self) -> Self:
        """Not sent yet: waiting, being sent, or held for a retry."""
        return self.filter(state=OutboxState.QUEUED)

    def claimable(self, *, now: datetime) -> Self:
        """Queued, and not held by a live claim."""
        return self.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lte=now), state=OutboxState.QUEUED
        )


class OutboxItem(models.Model):
    """One email waiting to be sent, or the record of how its sending ended."""

    # The kind's one name: its label in metrics (newsroom_emails_total{kind=...}), its log
    # lines, the reader's data document and its queue (kinds.Kind.name).
    metric_kind: ClassVar[str]

    state = models.CharField(
        _("state"), max_length=10, choices=OutboxState.choices, default=OutboxState.QUEUED
    )
    created_at = models.DateTimeField(_("created"), db_index=True)
    # A send holds the row until this moment; a dead worker's claim lapses by itself.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # The reader's language: the email is written in it, not in the worker's.
    language = models.CharField(_("language"), max_length=10, blank=True)
    first_attempt_at = models.DateTimeField(_("first attempt"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], name="%(class)s_queued", condition=Q(state="queued")
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.state}"


class ConfirmationEmailQuerySet(OutboxQuerySet):
    def subscriber_of(self, email_id: int) -> int | None:
        return self.filter(pk=email_id).values_list("subscriber_id", flat=True).first()

    def failed_with_pending(self, *, since: datetime) -> Self:
        """Failed emails created after `since` that still have a list waiting for them."""
        return self.filter(
            state=OutboxState.FAILED, created_at__gte=since, subscriptions__status=Status.PENDING
        ).distinct()


class ConfirmationEmail(OutboxItem):
    """The double opt-in email: one per sign-up, naming every list it asks to confirm."""

    metric_kind: ClassVar[str] = "confirmation"

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="confirmation_emails"
    )
    subscriptions = models.ManyToManyField(Subscription, related_name="confirmation_emails")

    # django-stubs takes the abstract base's manager for a ClassVar; overriding it is intended.
    objects = ConfirmationEmailQuerySet.as_manager()  # type: ignore[misc]

    class Meta(OutboxItem.Meta):
        verbose_name = _("confirmation email")
        verbose_name_plural = _("confirmation emails")


class WelcomeEmail(OutboxItem):
    """A list's welcome email to one subscription, queued when it is confirmed."""

    metric_kind: ClassVar[str] = "welcome"

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="welcome_emails"
    )

    class Meta(OutboxItem.Meta):
        verbose_name = _("welcome email")
        verbose_name_plural = _("welcome emails")


class DataExportEmail(OutboxItem):
    """A link to a reader's own data (GDPR Art. 15 and 20), asked for from their preference
    center and sent to their own address: at most one a day per address."""

    metric_kind: ClassVar[str] = "data_export"

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="data_export_emails"
    )

    class Meta(OutboxItem.Meta):
        verbose_name = _("data export email")
        verbose_name_plural = _("data export emails")


def emails_per_inbox(inboxes: Collection[str], *, since: datetime) -> Counter[str]:
    """The confirmation and welcome emails queued for each of these inbox keys since `since`,
    over every spelling of each: what the per-inbox daily cap (ADDRESS_DAILY_CAP) counts.
    A reader's data emails have their own limit (DATA_EXPORT_INTERVAL)."""
    confirmations = (
        ConfirmationEmail.objects.filter(subscriber__inbox_key__in=inboxes)
        .created_since(since)
        .values_list("subscriber__inbox_key")
        .annotate(n=Count("pk"))
        .order_by()
    )
    welcomes = (
        WelcomeEmail.objects.filter(subscription__subscriber__inbox_key__in=inboxes)
        .created_since(since)
        .values_list("subscription__subscriber__inbox_key")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return Counter(dict(confirmations)) + Counter(dict(welcomes))
