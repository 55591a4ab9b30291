"""Lists, subscribers, subscriptions, their consent and history, and the confirmation outbox.

Writes happen only in services.py; the QuerySet methods here are the reads.
"""

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class NewsletterQuerySet(models.QuerySet):
    def offered(self) -> "NewsletterQuerySet":
        """Lists a public form may sign a reader up to."""
        return self.filter(is_active=True, is_public=True)


class Newsletter(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    description = models.TextField(_("description"), blank=True)
    host = models.CharField(_("host"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_public = models.BooleanField(_("offered on public forms"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = NewsletterQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("newsletter")
        verbose_name_plural = _("newsletters")

    def __str__(self) -> str:
        return self.name


class Subscriber(models.Model):
    # Stored normalised (see validation.normalize_email): trimmed, domain lower-case IDNA.
    email = models.CharField(_("email"), max_length=254)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscriber_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email


# `email__lower=...` compiles to LOWER("email") = ..., which the unique functional index
# serves; `email__iexact` would compile to UPPER(...) on PostgreSQL and scan the table.
Subscriber._meta.get_field("email").register_lookup(Lower)


class Consent(models.Model):
    """Proof of one consent, as GDPR Art. 7(1) asks: when, where, who, and the exact words."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    given_at = models.DateTimeField(_("given at"))
    page_url = models.CharField(_("page"), max_length=500, blank=True)
    form_id = models.CharField(_("form"), max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    wording = models.TextField(_("wording shown"))
    version = models.CharField(_("wording version"), max_length=50)

    class Meta:
        ordering = ["-given_at"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.subscriber} @ {self.given_at:%Y-%m-%d %H:%M} ({self.form_id})"


class Status(models.TextChoices):
    PENDING = "pending", _("Pending confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    UNDELIVERABLE = "undeliverable", _("Undeliverable")


class SubscriptionQuerySet(models.QuerySet):
    def pending(self) -> "SubscriptionQuerySet":
        return self.filter(status=Status.PENDING)

    def recently_requested(self, *, since: datetime) -> "SubscriptionQuerySet":
        """Subscriptions a confirmation was queued for after `since` (the cooldown)."""
        return self.filter(confirmation_requests__created_at__gte=since).distinct()


class Subscription(models.Model):
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    # SET_NULL, not PROTECT: erasing a subscriber (GDPR Art. 17) deletes their consents and
    # subscriptions together, and PROTECT would refuse that.
    consent = models.ForeignKey(
        Consent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    pending_at = models.DateTimeField(_("pending since"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    undeliverable_at = models.DateTimeField(_("undeliverable"), null=True, blank=True)
    undeliverable_reason = models.TextField(_("why undeliverable"), blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "newsletter"], name="subscription_unique_per_list"
            ),
        ]
        indexes = [models.Index(fields=["newsletter", "status"])]

    def __str__(self) -> str:
        return f"{self.subscriber} → {self.newsletter} ({self.status})"


class Event(models.Model):
    """Append-only history: one row per state change of a subscription."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    at = models.DateTimeField(_("at"), db_index=True)
    # "reader", "editor:<username>", "system" or "provider:<esp>"
    actor = models.CharField(_("actor"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status} by {self.actor}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Events are append-only.")
        super().save(*args, **kwargs)


class OutboxState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Nothing left to confirm")


class ConfirmationRequestQuerySet(models.QuerySet):
    def created_since(self, since: datetime) -> "ConfirmationRequestQuerySet":
        return self.filter(created_at__gte=since)

    def due_for_dispatch(
        self, *, now: datetime, grace: int, requeue_after: int
    ) -> "ConfirmationRequestQuerySet":
        """Unsent requests the broker may have lost: old enough, not held by a live claim, and
        not queued again by the sweeper within `requeue_after`. Oldest first, so a backlog
        drains in sign-up order."""
        return self.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
            Q(last_queued_at__isnull=True)
            | Q(last_queued_at__lte=now - timedelta(seconds=requeue_after)),
            state=OutboxState.QUEUED,
            created_at__lte=now - timedelta(seconds=grace),
        ).order_by("created_at")


class ConfirmationRequest(models.Model):
    """Transactional outbox row: written with the pending subscriptions, sent after commit."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="confirmation_requests"
    )
    subscriptions = models.ManyToManyField(Subscription, related_name="confirmation_requests")
    state = models.CharField(
        _("state"), max_length=10, choices=OutboxState.choices, default=OutboxState.QUEUED
    )
    created_at = models.DateTimeField(_("created"), db_index=True)
    # A send holds the row until this moment; a dead worker's claim lapses by itself.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_queued_at = models.DateTimeField(
        _("last re-queued by the sweeper"), null=True, blank=True
    )
    # The reader's language when they signed up: the email is written in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    first_attempt_at = models.DateTimeField(_("first attempt"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = ConfirmationRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("confirmation email")
        verbose_name_plural = _("confirmation emails")
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_queued_idx",
                condition=Q(state="queued"),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.state}"
