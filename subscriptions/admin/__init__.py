"""Editors' admin: an entry point. Statuses are read-only here: every change goes through the
flows, so it gets its Event and the editor's name. Each action declares its permission.

This module holds what editors change (lists, subscribers, subscriptions); records.py the
records they read (emails, consents, provider events, suppressions, erasures)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import services
from ..models import Event, Newsletter, Subscriber, Subscription
from ..privacy import personal_data
from .common import NothingToSave, address_column, editor
from .embed import embed_code
from .filters import DateRangeFilter
from .manual_add import ManualAdd


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
        (_("Put this list on a page"), {"fields": ["embed"]}),
    ]
    readonly_fields = ["embed"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Newsletter]:
        return super().get_queryset(request).with_confirmed_count()  # type: ignore[attr-defined]

    @admin.display(description=_("confirmed subscribers"), ordering="confirmed_count")
    def confirmed(self, obj: Newsletter) -> int:
        return obj.confirmed_count  # type: ignore[attr-defined]

    @admin.display(description=_("embed code"))
    def embed(self, obj: Newsletter) -> SafeString:
        return embed_code(obj)


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


# A GDPR request is about a person, not a list; each document takes about ten queries.
EXPORT_AT_ONCE = 100


@admin.register(Subscriber)
class SubscriberAdmin(ManualAdd, NothingToSave, admin.ModelAdmin):
    list_display = ["email", "created_at"]
    search_fields = ["email"]
    list_filter = ["subscriptions__status", "subscriptions__newsletter"]
    # All read-only: the language is the reader's own (preference center), the keys are what
    # suppressions and erasures are looked up by, and "changed by" is the record of who did.
    readonly_fields = [
        "email",
        "email_key",
        "inbox_key",
        "language",
        "created_at",
        "changed_at",
        "changed_by",
    ]
    inlines = [SubscriptionInline]
    actions = ["export_selected", "erase_selected"]

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
        actor = editor(request)
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
    ) -> HttpResponse | None:
        """One JSON document per subscriber: the file itself for one, a zip of them for
        several. Each export is logged against the subscriber, with the editor's name. Built
        here, in the request: a few at a time, as requests about persons come."""
        subscribers = list(queryset[: EXPORT_AT_ONCE + 1])
        if len(subscribers) > EXPORT_AT_ONCE:
            message = ngettext(
                "Select at most %d subscriber to export at once.",
                "Select at most %d subscribers to export at once.",
                EXPORT_AT_ONCE,
            )
            message %= EXPORT_AT_ONCE
            self.message_user(request, message, messages.ERROR)
            return None
        for subscriber in subscribers:
            self.log_change(request, subscriber, "Exported the subscriber's data (GDPR).")
        return personal_data.download(subscribers, staff=True)  # staff see who did what


@admin.register(Subscription)
class SubscriptionAdmin(NothingToSave, admin.ModelAdmin):
    list_display = ["address", "newsletter", "status", "created_at", "confirmed_at"]
    list_filter = [
        "status",
        "newsletter",
        ("created_at", DateRangeFilter.titled(_("signed up"))),
        ("confirmed_at", DateRangeFilter.titled(_("confirmed"))),
    ]
    search_fields = ["subscriber__email"]
    list_select_related = ["subscriber", "newsletter"]
    # The subscriber field links to their page under their number; the address is beside it.
    readonly_fields = [f.name for f in Subscription._meta.fields]
    readonly_fields.insert(readonly_fields.index("subscriber") + 1, "address")
    inlines = [EventInline]
    address = address_column("subscriber")
    actions = ["unsubscribe_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A deleted subscription takes its history (Events) with it, and "Delete selected"
        # logs nothing: leaving is the unsubscribe action, erasure is the subscriber's.
        return False

    @admin.action(description=_("Unsubscribe selected subscriptions"), permissions=["change"])
    def unsubscribe_selected(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        actor = editor(request)
        changed = sum(
            services.unsubscribe(subscription_id=pk, actor=actor)
            for pk in queryset.values_list("pk", flat=True)
        )
        message = ngettext(
            "%d subscription unsubscribed.", "%d subscriptions unsubscribed.", changed
        )
        self.message_user(request, message % changed, messages.SUCCESS)


# Registered on import, as Django's autodiscovery imports only this module.
from . import records, site  # noqa: E402, F401
