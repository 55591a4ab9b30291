"""The records editors read and never edit: emails and how they ended (one page per declared
kind, kinds.py), consents, sign-ups waiting for a worker, provider events, suppressions (which
editors may lift) and erasures."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import services
from ..core import consent, kinds
from ..guards.validation import inbox_key
from ..models import Consent, ErasedInbox, ProviderEvent, RecordedSignUp, Suppression
from ..privacy import erasure
from .common import AddressSearch, ReadOnlyAdmin, address_column, editor


class OutboxAdmin(ReadOnlyAdmin):
    """A kind's emails and how each ended; its columns and search follow its declaration."""

    list_filter = ["state"]


def _show_kind(kind: kinds.Kind) -> None:
    """A page for each declared kind, this app's or another's, whenever it is declared."""
    if admin.site.is_registered(kind.model):
        return
    # The row's own link to its reader: "subscriber", or "subscription" for a list's email,
    # which names the list. Either names the reader by number: the address has its column.
    owner = kind.reader.split("__")[0]
    named = [owner] if owner != "subscriber" else []
    options = {
        "list_display": ["pk", "address", *named, "state", "attempts", "created_at", "closed_at"],
        "list_select_related": list(kind.admin_related) or [kind.reader],
        "search_fields": [f"{kind.reader}__email", "message_id"],
        "readonly_fields": ["address"],
        "address": address_column(kind.reader),
    }
    admin.site.register(kind.model, type(f"{kind.model.__name__}Admin", (OutboxAdmin,), options))


kinds.on_each(_show_kind)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["address", "given_at", "form_id", "page_url", "version"]
    list_select_related = ["subscriber"]
    search_fields = ["subscriber__email"]
    list_filter = ["form_id", "version"]
    readonly_fields = ["address", "version_meant"]
    address = address_column("subscriber")

    @admin.display(description=_("what this wording version meant"))
    def version_meant(self, obj: Consent) -> str:
        # Old records keep the words they were given under; this says how to read them.
        return consent.meaning(obj.version)


@admin.register(RecordedSignUp)
class RecordedSignUpAdmin(ReadOnlyAdmin):
    """Sign-ups a worker has not processed yet: normally none for more than a second. Rows
    that stay are a stopped worker (all of them) or a row that fails (attempts, last error)."""

    list_display = ["pk", "created_at", "due_at", "attempts"]
    list_filter = ["attempts"]
    readonly_fields = ("created_at", "due_at", "attempts", "last_error", "form_id", "language")
    fields = readonly_fields


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
    """Inboxes (or one spelling of one) we don't write to, why, and the provider event that
    said so."""

    list_display = [
        "inbox_key",
        "address_key",  # blank: every spelling of the inbox
        "reason",
        "actor",
        "created_at",
        "event",
        "lifted_at",
        "lifted_by",
    ]
    list_filter = ["reason", ("lifted_at", admin.EmptyFieldListFilter)]
    search_fields = ["inbox_key", "address_key"]
    list_select_related = ["event"]
    actions = ["lift_selected"]

    def address_lookup(self, address: str) -> dict[str, list[str]]:
        # By the key, or by the keyed hash an erasure left in its place.
        key = inbox_key(address)
        return {"inbox_key__in": [key, erasure.inbox_hash(key)]}

    def has_lift_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("subscriptions.lift_suppression")

    @admin.action(description=_("Lift selected suppressions"), permissions=["lift"])
    def lift_selected(self, request: HttpRequest, queryset: QuerySet[Suppression]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        lifted = services.lift_suppressions(ids=ids, actor=editor(request))
        message = ngettext("%d suppression lifted.", "%d suppressions lifted.", lifted)
        self.message_user(request, message % lifted, messages.SUCCESS)
