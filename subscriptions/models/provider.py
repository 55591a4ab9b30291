"""What providers tell us about our mail (bounces, complaints, unsubscribes), and the inboxes
we no longer write to because of it."""

from collections.abc import Iterable
from datetime import datetime
from typing import Self

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .privacy import inbox_hashes


class ProviderEventQuerySet(models.QuerySet):
    def waiting(self) -> Self:
        """Stored by the webhook, not applied yet."""
        return self.filter(applied_at__isnull=True)

    def due(self, *, now: datetime) -> Self:
        """Waiting, and not set aside for later after a failed attempt."""
        return self.waiting().filter(due_at__lte=now)

    def about_address(self, *, inbox_key: str, email_key: str) -> Self:
        """What providers reported about one address, in any case: its inbox's events
        (indexed), kept where the recipient case-folds to the address's key. Compared in
        Python, as subscribers' keys are: SQLite's case-insensitive match folds ASCII only.
        The inbox's other spellings (a +tag) are other subscribers'."""
        rows = self.filter(inbox_key=inbox_key).values_list("pk", "recipient")
        return self.filter(pk__in=[pk for pk, r in rows if r.casefold() == email_key])


class ProviderEvent(models.Model):
    """One event from a provider's tracking webhook, stored as it came, applied once."""

    provider = models.CharField(_("provider"), max_length=50)
    event_type = models.CharField(_("event"), max_length=30)  # anymail's event_type
    # What it means for us, read from the provider's own event: hard_bounce, soft_bounce, ...
    kind = models.CharField(_("kind"), max_length=30, db_index=True)
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    inbox_key = models.CharField(max_length=254, blank=True, db_index=True)
    message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    metadata = models.JSONField(_("our message metadata"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred"))
    received_at = models.DateTimeField(_("received"))
    # The provider's event id, else a key from message id, event type, recipient and time.
    dedupe_key = models.CharField(max_length=255, unique=True)
    raw = models.JSONField(_("the provider's event"), default=dict)
    effect = models.CharField(_("what it did"), max_length=200, blank=True)
    # The webhook only stores the event; a worker applies it (services/provider_intake.py).
    reason = models.CharField(_("the provider's reason"), max_length=500, blank=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    objects = ProviderEventQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # Workers look up only the few events still waiting, among years of applied ones.
            models.Index(
                fields=["due_at"],
                condition=Q(applied_at__isnull=True),
                name="provider_event_waiting",
            )
        ]
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} #{self.pk}"


class SuppressionQuerySet(models.QuerySet):
    def active(self) -> Self:
        return self.filter(lifted_at__isnull=True)

    def of_addresses(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """The (inbox key, address key) pairs among `keys` we must not write to: their whole
        inbox is suppressed, or that spelling of it is. An erasure leaves the keyed hashes of
        both keys in their place (privacy.inbox_hash), which are found too."""
        keys = set(keys)
        plain = inbox_hashes({i for i, _ in keys} | {a for _, a in keys if a})
        inboxes = [*{i for i, _ in keys}, *plain]
        rows = self.active().filter(inbox_key__in=inboxes).values_list("inbox_key", "address_key")
        found = {(plain.get(i, i), plain.get(a, a)) for i, a in rows}
        return {(i, a) for i, a in keys if (i, "") in found or (i, a) in found}

    def applying_to(self, *, inbox_key: str, email_key: str) -> Self:
        """The suppressions, active or lifted, that reach one address: its inbox's whole, or
        that spelling's, under their keys or an erasure's hashes of them. Another spelling's
        are another mailbox's."""
        inbox_hashed = inbox_hashes([inbox_key])
        spelling_hashed = inbox_hashes([email_key])
        return self.filter(
            inbox_key__in=[inbox_key, *inbox_hashed],
            address_key__in=["", email_key, *spelling_hashed],
        )


class Suppression(models.Model):
    """An inbox, or one spelling of it, we don't write to: it bounced for good, complained,
    or kept bouncing."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")
        SOFT_BOUNCES = "soft_bounces", _("Repeated soft bounces")

    inbox_key = models.CharField(_("inbox"), max_length=254, db_index=True)
    # Blank: every spelling of the inbox (a complaint, which comes from the mailbox's owner, or
    # a bounce where the provider delivers every spelling to one mailbox). Else only this
    # spelling (validation.address_key): on most domains bob+x@ can be another mailbox than
    # bob@, and its bounce must not silence Bob.
    address_key = models.CharField(_("only the spelling"), max_length=254, blank=True, default="")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    actor = models.CharField(_("by"), max_length=200)
    event = models.ForeignKey(
        ProviderEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("since"))
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.CharField(_("lifted by"), max_length=200, blank=True)

    objects = SuppressionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")
        permissions = [("lift_suppression", _("Can lift a suppression"))]
        constraints = [
            models.UniqueConstraint(
                fields=["inbox_key", "address_key"],
                condition=Q(lifted_at__isnull=True),
                name="one_active_suppression_per_spelling",
            )
        ]

    def __str__(self) -> str:
        # Not the keys: they are addresses (see subscribers.subscriber_label).
        return _("suppression #%(id)s (%(reason)s)") % {
            "id": self.pk,
            "reason": self.get_reason_display(),
        }
