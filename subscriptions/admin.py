"""Editors' admin: an entry point. Statuses are read-only here: every change goes through the
flows, so it gets its Event and the editor's name. Each action declares its permission."""

import io
import zipfile
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import erasure, lifecycle, personal_data, services
from .models import (
    ConfirmationEmail,
    Consent,
    DataExportEmail,
    ErasedInbox,
    Event,
    Newsletter,
    ProviderEvent,
    RecordedSignUp,
    Subscriber,
    Subscription,
    Suppression,
    WelcomeEmail,
)
from .validation import InvalidEmail, inbox_key, normalize_email


def _actor(request: HttpRequest) -> str:
    return lifecycle.editor(request.user.get_username())


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "host", "is_active", "is_public", "sort_order", "confirmed"]
    list_editable = ["is_active", "is_public", "sort_order"]
    list_filter = ["is_active", "is_public"]
    search_fields = ["name", "slug", "host"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "host"]}),
        (_("On the site"), {"fields": ["is_active", "is_public", "sort_order"]}),
        (
            _("Sender"),
            {
                "fields": ["sender_name", "sender_email", "reply_to"],
                "description": _("Empty: the site's list sender (LIST_FROM_EMAIL)."),
            },
        ),
        (
            _("Welcome email"),
            {
                "fields": ["welcome_subject", "welcome_body"],
                "description": _(
                    "Sent once to each new subscriber when they confirm. Leave empty for none."
                ),
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Newsletter]:
        return super().get_queryset(request).with_confirmed_count()  # type: ignore[attr-defined]

    @admin.display(description=_("confirmed subscribers"), ordering="confirmed_count")
    def confirmed(self, obj: Newsletter) -> int:
        return obj.confirmed_count  # type: ignore[attr-defined]


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    can_delete = False
    readonly_fields = ("at", "from_status", "to_status", "actor", "detail")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    can_delete = False
    readonly_fields = ("newsletter", "status", "created_at", "confirmed_at", "unsubscribed_at")
    fields = readonly_fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "created_at"]
    search_fields = ["email"]
    list_filter = ["subscriptions__status", "subscriptions__newsletter"]
    readonly_fields = ["email", "created_at"]
    inlines = [SubscriptionInline]
    actions = ["export_selected", "erase_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Erasure goes through services.erase_subscriber (the action below), which records
        # who did it; the plain delete would also stop at the read-only consent records.
        return False

    def has_erase_permission(self, request: HttpRequest) -> bool:
        # Its own permission: the model's delete permission is switched off on purpose.
        return request.user.has_perm("subscriptions.erase_subscriber")

    @admin.action(
        description=_("Erase selected subscribers and all their data (GDPR)"),
        permissions=["erase"],
    )
    def erase_selected(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        actor = _actor(request)
        erased = sum(
            services.erase_subscriber(subscriber_id=pk, actor=actor)
            for pk in queryset.values_list("pk", flat=True)
        )
        message = ngettext("%d subscriber erased.", "%d subscribers erased.", erased)
        self.message_user(request, message % erased, messages.SUCCESS)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("subscriptions.export_subscriber")

    @admin.action(
        description=_("Export selected subscribers' data as JSON (GDPR Art. 15 and 20)"),
        permissions=["export"],
    )
    def export_selected(
        self, request: HttpRequest, queryset: QuerySet[Subscriber]
    ) -> HttpResponse:
        """One JSON document per subscriber: the file itself for one, a zip of them for
        several. Each export is logged against the subscriber, with the editor's name."""
        now, subscribers = timezone.now(), list(queryset)
        for subscriber in subscribers:
            self.log_change(request, subscriber, "Exported the subscriber's data (GDPR).")
        if len(subscribers) == 1:
            response = HttpResponse(
                personal_data.as_json(subscribers[0], now=now),
                content_type="application/json; charset=utf-8",
            )
            name = personal_data.filename(subscribers[0], now)
        else:
            response = HttpResponse(_zipped(subscribers, now), content_type="application/zip")
            name = f"newsroom-data-{len(subscribers)}-subscribers-{now:%Y%m%d}.zip"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _zipped(subscribers: list[Subscriber], now: Any) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for subscriber in subscribers:
            name = personal_data.filename(subscriber, now)
            archive.writestr(name, personal_data.as_json(subscriber, now=now))
    return buffer.getvalue()


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "newsletter", "status", "created_at", "confirmed_at"]
    list_filter = ["status", "newsletter"]
    search_fields = ["subscriber__email"]
    list_select_related = ["subscriber", "newsletter"]
    readonly_fields = [f.name for f in Subscription._meta.fields]
    inlines = [EventInline]
    actions = ["unsubscribe_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A deleted subscription takes its history (Events) with it, and "Delete selected"
        # logs nothing: leaving is the unsubscribe action, erasure is the subscriber's.
        return False

    @admin.action(description=_("Unsubscribe selected subscriptions"), permissions=["change"])
    def unsubscribe_selected(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        actor = _actor(request)
        changed = sum(
            services.unsubscribe(subscription_id=pk, actor=actor)
            for pk in queryset.values_list("pk", flat=True)
        )
        message = ngettext(
            "%d subscription unsubscribed.", "%d subscriptions unsubscribed.", changed
        )
        self.message_user(request, message % changed, messages.SUCCESS)


class AddressSearch(admin.ModelAdmin):
    """Search by the address an editor has, in any spelling (+tag, case, Gmail dots), for
    tables keyed by its inbox; any other text searches `search_fields` as usual."""

    def address_lookup(self, address: str) -> dict[str, str]:
        raise NotImplementedError

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        try:
            address = normalize_email(search_term)
        except InvalidEmail:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(**self.address_lookup(address)), False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConfirmationEmail)
class ConfirmationEmailAdmin(ReadOnlyAdmin):
    list_display = ["pk", "subscriber", "state", "attempts", "created_at", "closed_at"]
    list_filter = ["state"]
    search_fields = ["subscriber__email", "message_id"]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["subscriber", "given_at", "form_id", "page_url", "version"]
    search_fields = ["subscriber__email"]
    list_filter = ["form_id", "version"]


@admin.register(RecordedSignUp)
class RecordedSignUpAdmin(ReadOnlyAdmin):
    """Sign-ups a worker has not processed yet: normally none for more than a second. Rows
    that stay are a stopped worker (all of them) or a row that fails (attempts, last error)."""

    list_display = ["pk", "created_at", "due_at", "attempts"]
    list_filter = ["attempts"]
    readonly_fields = ("created_at", "due_at", "attempts", "last_error", "form_id", "language")
    fields = readonly_fields


@admin.register(WelcomeEmail)
class WelcomeEmailAdmin(ReadOnlyAdmin):
    list_display = ["pk", "subscription", "state", "attempts", "created_at", "closed_at"]
    list_filter = ["state"]
    list_select_related = ["subscription__subscriber", "subscription__newsletter"]
    search_fields = ["subscription__subscriber__email", "message_id"]


@admin.register(DataExportEmail)
class DataExportEmailAdmin(ReadOnlyAdmin):
    """Readers' requests for their own data: the email with the link, and how it ended."""

    list_display = ["pk", "subscriber", "state", "created_at", "closed_at"]
    list_filter = ["state"]
    search_fields = ["subscriber__email", "message_id"]


@admin.register(ErasedInbox)
class ErasedInboxAdmin(AddressSearch, ReadOnlyAdmin):
    """Who was erased, when and by whom: a keyed hash only, never the address."""

    list_display = ["key_hash", "erased_at", "erased_by"]
    list_filter = ["erased_by"]
    search_fields = ["key_hash"]
    search_help_text = _("An address, in any spelling, finds its inbox's entry.")

    def address_lookup(self, address: str) -> dict[str, str]:
        # The table holds no address: it is hashed the way erasure hashed it.
        return {"key_hash": erasure.address_hash(address)}


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    """Every event providers sent us, as they sent it, and what it did."""

    list_display = [
        "received_at",
        "provider",
        "kind",
        "event_type",
        "recipient",
        "effect",
        "applied_at",
    ]
    # "Applied: no" shows what waits for a worker, and any event set aside after a failure.
    list_filter = ["provider", "kind", "event_type", ("applied_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient", "message_id"]


@admin.register(Suppression)
class SuppressionAdmin(AddressSearch, ReadOnlyAdmin):
    """Inboxes we don't write to, why, and the provider event that said so."""

    list_display = [
        "inbox_key",
        "reason",
        "actor",
        "created_at",
        "event",
        "lifted_at",
        "lifted_by",
    ]
    list_filter = ["reason", ("lifted_at", admin.EmptyFieldListFilter)]
    search_fields = ["inbox_key"]
    list_select_related = ["event"]
    actions = ["lift_selected"]

    def address_lookup(self, address: str) -> dict[str, str]:
        return {"inbox_key": inbox_key(address)}

    def has_lift_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("subscriptions.lift_suppression")

    @admin.action(description=_("Lift selected suppressions"), permissions=["lift"])
    def lift_selected(self, request: HttpRequest, queryset: QuerySet[Suppression]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        lifted = services.lift_suppressions(ids=ids, actor=_actor(request))
        message = ngettext("%d suppression lifted.", "%d suppressions lifted.", lifted)
        self.message_user(request, message % lifted, messages.SUCCESS)
