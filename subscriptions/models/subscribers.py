"""Lists, subscribers, subscriptions, their consent and history.

Writes happen only in the flows (services/) and lifecycle.py; the QuerySet methods here are the
reads.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from ..app_settings import app_settings


class NewsletterQuerySet(models.QuerySet):
    def offered(self) -> "NewsletterQuerySet":
        """Lists a public form may sign a reader up to."""
        return self.filter(is_active=True, is_public=True)

    def for_preferences(self, subscriber_id: int) -> "NewsletterQuerySet":
        """What a reader's preference center shows: the lists offered on public forms, and
        any other list they get (so they can leave it there too)."""
        theirs = Q(
            subscriptions__subscriber=subscriber_id,
            subscriptions__status__in=RECEIVING,
        )
        return self.filter(Q(is_active=True, is_public=True) | theirs).distinct()

    def with_confirmed_count(self) -> "NewsletterQuerySet":
        """Each list with `confirmed_count`, its confirmed subscribers."""
        confirmed = Count("subscriptions", filter=Q(subscriptions__status=Status.CONFIRMED))
        return self.annotate(confirmed_count=confirmed)


# The fields of a list that reach its emails' headers (From, Reply-To, Subject, List-Id).
HEADER_FIELDS = ("name", "sender_name", "sender_email", "reply_to", "welcome_subject")


class Newsletter(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    description = models.TextField(_("description"), blank=True)
    host = models.CharField(_("host"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_public = models.BooleanField(_("offered on public forms"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The list's own sender; empty: LIST_FROM_EMAIL's. The address must be in one of
    # LIST_FROM_DOMAINS, the domains the provider has verified.
    sender_name = models.CharField(_("sender name"), max_length=100, blank=True)
    sender_email = models.EmailField(_("sender address"), blank=True)
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    # Sent once when a subscription to the list is confirmed; none when either is empty.
    welcome_subject = models.CharField(_("welcome email subject"), max_length=200, blank=True)
    welcome_body = models.TextField(
        _("welcome email body"),
        blank=True,
        help_text=_(
            "Plain text. **bold**, *italic*, [links](https://…), lists with - and paragraphs "
            "separated by a blank line are formatted; anything else shows as typed."
        ),
    )

    objects = NewsletterQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("newsletter")
        verbose_name_plural = _("newsletters")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self._refuse_line_breaks()
        domain = self.sender_email.rpartition("@")[2].lower()
        if self.sender_email and domain not in app_settings.list_sender_domains:
            allowed = ", ".join(sorted(app_settings.list_sender_domains))
            message = _(
                "The provider can only send from its verified domains (%(domains)s). Use an "
                "address at one of them, or ask an operator to add this domain to "
                "LIST_FROM_DOMAINS once the provider has verified it."
            )
            raise ValidationError({"sender_email": message % {"domains": allowed}})

    def _refuse_line_breaks(self) -> None:
        # A line break in a header would end it and start another (a Bcc: of the editor's
        # typing); Django then refuses to build every message of the list, retried for hours.
        broken = {
            name: _("This can't contain a line break: it goes into the headers of the emails.")
            for name in HEADER_FIELDS
            if "".join(getattr(self, name).splitlines()) != getattr(self, name)
        }
        if broken:
            raise ValidationError(broken)

    @property
    def has_welcome(self) -> bool:
        return bool(self.welcome_subject.strip() and self.welcome_body.strip())


def subscriber_label(pk: int | None) -> str:
    """What names a subscriber, and every row of theirs, where the row's own name is shown or
    stored: a number, never the address. The admin stores names in its log (LogEntry's
    object_repr, and the change messages that name inline rows), which would keep an erased
    reader's address; lists and pages show the address in a column of their own."""
    return _("subscriber #%(id)s") % {"id": pk}


class InboxQuerySet(models.QuerySet):
    def unused(self, keys: set[str] | list[str]) -> "InboxQuerySet":
        """Those among `keys` no subscriber's spelling reaches any more (erasure, retention):
        the row names the address, so it goes with the last of them."""
        used = Subscriber.objects.filter(inbox_key__in=keys).values("inbox_key")
        return self.filter(key__in=keys).exclude(key__in=used)


class Inbox(models.Model):
    """One inbox, whatever spelling of its address reached it (validation.inbox_key): the row
    sign-ups lock, so two sign-ups of two variants of one address are decided one after the
    other, and the daily cap and cooldown hold per inbox."""

    key = models.CharField(max_length=254, unique=True)

    objects = InboxQuerySet.as_manager()

    def __str__(self) -> str:
        # The key is an address (see subscriber_label).
        return _("inbox #%(id)s") % {"id": self.pk}


class Subscriber(models.Model):
    # Stored normalised (see validation.normalize_email): trimmed, domain lower-case IDNA; and
    # sent to as stored. The keys (validation.address_key, inbox_key) are for finding and
    # counting only.
    email = models.CharField(_("email"), max_length=254)
    email_key = models.CharField(max_length=254, unique=True)
    inbox_key = models.CharField(max_length=254, db_index=True)
    # The language of every email to them: their latest sign-up's while nothing is confirmed;
    # then only their own confirmation's or their choice in the preference center.
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Who last changed the subscriber's own settings (the language), and when; each list's
    # changes are in its subscription's Events.
    changed_at = models.DateTimeField(_("settings changed"), null=True, blank=True)
    changed_by = models.CharField(_("settings changed by"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        # Erasure (GDPR Art. 17) is its own permission; the plain delete permission is unused.
        permissions = [
            ("erase_subscriber", _("Can erase a subscriber and all their data")),
            ("export_subscriber", _("Can export a subscriber's data (GDPR Art. 15 and 20)")),
        ]

    def __str__(self) -> str:
        return subscriber_label(self.pk)


class ConsentFacts(models.Model):
    """What only the sign-up request knows of a consent: where, from whom, and the exact words
    shown. A recorded sign-up carries them to the worker, which stores them as a Consent."""

    page_url = models.CharField(_("page"), max_length=500, blank=True)
    form_id = models.CharField(_("form"), max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    wording = models.TextField(_("wording shown"))
    version = models.CharField(_("wording version"), max_length=50)

    class Meta:
        abstract = True


class Consent(ConsentFacts):
    """Proof of one consent, as GDPR Art. 7(1) asks: when, where, who, and the exact words."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    given_at = models.DateTimeField(_("given at"))

    class Meta:
        ordering = ["-given_at"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        who = subscriber_label(self.subscriber_id)
        return f"{who} @ {self.given_at:%Y-%m-%d %H:%M} ({self.form_id})"


class Status(models.TextChoices):
    PENDING = "pending", _("Pending confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    UNDELIVERABLE = "undeliverable", _("Undeliverable")


# The statuses of a subscription that gets (or is about to get) the list's mail: what a
# reader can leave, and what a provider's unsubscribe or rejection moves.
RECEIVING = (Status.PENDING, Status.CONFIRMED)


class SubscriptionQuerySet(models.QuerySet):
    def pending(self) -> "SubscriptionQuerySet":
        return self.filter(status=Status.PENDING)

    def confirmed(self) -> "SubscriptionQuerySet":
        return self.filter(status=Status.CONFIRMED)

    def of_confirmation_email(self, email_id: int) -> "SubscriptionQuerySet":
        """The subscriptions one confirmation email asks the reader to confirm."""
        return self.filter(confirmation_emails=email_id)

    def awaiting_confirmation_email(self, email_id: int) -> "SubscriptionQuerySet":
        """The subscriptions one confirmation email can still confirm: pending since before it
        was queued. A reader who left and signed up again is pending anew, and only an email
        of that sign-up confirms it, not a link from the one before."""
        # One filter() call: the email's created_at comes from the same join as its id.
        return self.filter(
            confirmation_emails=email_id,
            status=Status.PENDING,
            pending_at__lte=F("confirmation_emails__created_at"),
        )

    def pending_of_confirmation_emails(self, ids: list[int]) -> "SubscriptionQuerySet":
        """The lists several confirmation emails can still confirm (as
        `awaiting_confirmation_email`), each row annotated with its `confirmation_email_id` (a
        list asked for twice appears twice), in display order."""
        return (
            self.filter(
                confirmation_emails__in=ids,
                status=Status.PENDING,
                pending_at__lte=F("confirmation_emails__created_at"),
            )
            .annotate(confirmation_email_id=F("confirmation_emails"))
            .select_related("newsletter")
            .only("pk", "newsletter__name", "newsletter__sort_order")
            .order_by("newsletter__sort_order", "pk")
        )

    def not_asked_since(self, moment: datetime) -> "SubscriptionQuerySet":
        """Those no confirmation email created after `moment` covers too."""
        return self.exclude(confirmation_emails__created_at__gt=moment)

    def recently_requested(self, *, since: datetime) -> "SubscriptionQuerySet":
        """Subscriptions a confirmation was queued for after `since` (the cooldown)."""
        # Unordered: DISTINCT over the default ordering would sort, and add its column.
        return self.filter(confirmation_emails__created_at__gte=since).order_by().distinct()

    def count_by_list_and_status(self) -> dict[tuple[int, str], int]:
        counted = self.values_list("newsletter", "status").annotate(n=Count("pk")).order_by()
        return {(newsletter, status): n for newsletter, status, n in counted}

    def with_list(self) -> "SubscriptionQuerySet":
        return self.select_related("newsletter")

    def in_list_order(self) -> "SubscriptionQuerySet":
        """With their lists, in the order the lists are shown to readers."""
        return self.select_related("newsletter").order_by("newsletter__sort_order", "pk")


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
        return f"{subscriber_label(self.subscriber_id)} → {self.newsletter} ({self.status})"


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

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Events are append-only.")
        super().save(*args, **kwargs)
