"""An edition of a list (one issue of a newsletter) and its history.

Writes happen only in the flows (services/): the status moves only along TRANSITIONS, and
each move appends an EditionEvent naming its actor, as subscriptions' lifecycle does for a
subscription (a history of its own: subscriptions' Event belongs to a subscription).
"""

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from subscriptions.models import Newsletter, OutboxItem, Subscription


class EditionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SCHEDULED = "scheduled", _("scheduled")
    SENDING = "sending", _("sending")
    PAUSED = "paused", _("paused")
    SENT = "sent", _("sent")
    CANCELLED = "cancelled", _("cancelled")


# Where each status may go. Only drafts exist so far; the send, the schedule and their pause
# and cancel (later steps) move along these and no other way. Sent and cancelled are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    EditionStatus.DRAFT: frozenset({EditionStatus.SCHEDULED, EditionStatus.SENDING}),
    EditionStatus.SCHEDULED: frozenset(
        {EditionStatus.DRAFT, EditionStatus.SENDING, EditionStatus.CANCELLED}
    ),
    EditionStatus.SENDING: frozenset({EditionStatus.PAUSED, EditionStatus.SENT}),
    EditionStatus.PAUSED: frozenset({EditionStatus.SENDING, EditionStatus.CANCELLED}),
    EditionStatus.SENT: frozenset(),
    EditionStatus.CANCELLED: frozenset(),
}

# Inboxes show about 40 to 130 characters of it after the subject.
PREHEADER_MAX = 150


class Edition(models.Model):
    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.PROTECT, related_name="editions", verbose_name=_("list")
    )
    subject = models.CharField(_("subject"), max_length=200)
    preheader = models.CharField(
        _("preheader"),
        max_length=PREHEADER_MAX,
        blank=True,
        help_text=_("The line inboxes show after the subject. Optional; keep it short."),
    )
    body = models.TextField(
        _("body"),
        help_text=_(
            "Markdown: paragraphs, **bold**, *italics*, # headings, > quotes, lists, "
            "[links](https://…), --- for a rule, ![what the image shows](https://…) "
            "for an image (https only, with its description) and "
            "[Support our reporting](https://…){.button} for a button."
        ),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=EditionStatus.choices, default=EditionStatus.DRAFT
    )
    # Kept when the editor's account goes: the edition and its history outlive it.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Fixing the recipient list, chunk by chunk (recipients.py): the last inbox key of the
    # chunks done, so a send that stopped goes on from there; and when the list was whole.
    fixed_through = models.CharField(max_length=254, blank=True, editable=False)
    recipients_fixed_at = models.DateTimeField(_("recipients fixed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("edition")
        verbose_name_plural = _("editions")
        permissions = [("send_edition", _("Can send an edition"))]

    def __str__(self) -> str:
        return self.subject


class EditionEvent(models.Model):
    """Append-only history: one row per status move of an edition."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    at = models.DateTimeField(_("at"))
    # "editor:<username>" or "system", as subscriptions' history names them
    actor = models.CharField(_("actor"), max_length=200)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("edition event")
        verbose_name_plural = _("edition events")

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status} by {self.actor}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Edition events are append-only.")
        super().save(*args, **kwargs)


class SkipReason(models.TextChoices):
    NONE = "", _("none")
    SAME_INBOX = "same_inbox", _("another spelling of this inbox got it")


class EditionMessage(OutboxItem):
    """An edition's email to one recipient: a row per confirmed subscription of its list,
    fixed when the send starts (recipients.py), then claimed, sent and closed as every
    declared kind's rows are (declared in composing.py)."""

    metric_kind: ClassVar[str] = "edition"

    edition = models.ForeignKey(Edition, on_delete=models.PROTECT, related_name="messages")
    # Goes with the subscription, so an erased reader leaves no row naming them behind.
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="edition_messages"
    )
    # One message per inbox: two spellings of one inbox both confirmed on the list get one,
    # and the other's row is closed as skipped with its reason (outside the constraint).
    inbox_key = models.CharField(max_length=254)
    skip_reason = models.CharField(
        _("skipped because"), max_length=20, choices=SkipReason.choices, blank=True
    )

    class Meta(OutboxItem.Meta):
        verbose_name = _("edition email")
        verbose_name_plural = _("edition emails")
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "inbox_key"],
                condition=~models.Q(skip_reason="same_inbox"),
                name="one_edition_message_per_inbox",
            )
        ]
        indexes = [
            *OutboxItem.Meta.indexes,
            models.Index(fields=["edition", "state"], name="edition_message_progress"),
        ]


class EditionTest(OutboxItem):
    """A test of an edition, sent to the editor who asked for it and to no one else: who
    asked and when, and how the send ended (an outbox row, so a redelivered task sends it
    once: its claim, attempts and provider id are the outbox's)."""

    metric_kind: ClassVar[str] = "edition_test"

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="tests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    # The editor's own address when they asked: where this test went, and nowhere else.
    address = models.EmailField(_("sent to"))

    class Meta(OutboxItem.Meta):
        verbose_name = _("test email")
        verbose_name_plural = _("test emails")
