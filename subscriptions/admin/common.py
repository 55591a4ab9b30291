"""What the admin's modules share: the editor as an actor, the reader's address as a column,
address search, read-only records."""

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from ..core import lifecycle
from ..guards.validation import InvalidEmail, normalize_email


def editor(request: HttpRequest) -> str:
    """The actor an editor's change is recorded under."""
    return lifecycle.editor(request.user.get_username())


def address_column(reader: str) -> Callable[[Any, Any], str]:
    """A ModelAdmin's column (or read-only field) of the address of each row's reader, found by
    the path `reader` ("subscriber", "subscription__subscriber"). Rows' own names leave the
    address out (models.subscribers.subscriber_label), so lists show it here."""
    email = attrgetter(f"{reader.replace('__', '.')}.email")

    @admin.display(description=_("email"), ordering=f"{reader}__email")
    def address(model_admin: Any, obj: Any) -> str:
        return str(email(obj))

    return address


class AddressSearch(admin.ModelAdmin):
    """Search by the address an editor has, in any spelling (+tag, case, Gmail dots), for
    tables keyed by its inbox; any other text searches `search_fields` as usual."""

    def address_lookup(self, address: str) -> dict[str, Any]:
        raise NotImplementedError

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        try:
            address = normalize_email(search_term)
        except InvalidEmail:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(**self.address_lookup(address)), False


class NothingToSave(admin.ModelAdmin):
    """For a model whose every field is read-only here (changes go through actions, which
    call the flows): its page shows "Close", not Save buttons that would save nothing."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        nothing = {"show_save": False, "show_save_and_continue": False}
        nothing["show_save_and_add_another"] = False
        return super().change_view(request, object_id, form_url, nothing | (extra_context or {}))


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
