"""The preference center's form: the lists a reader ticks, and their emails' language."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..models import RECEIVING, Newsletter, Status, Subscriber, Subscription

# Stored verbatim with the consent of every list a reader adds here (GDPR Art. 7(1)).
PREFERENCES_WORDING = _(
    "Tick the newsletters you want by email and untick those you don't. "
    "You can change this here, or unsubscribe with one click from any email, at any time."
)
LANGUAGE_ERROR = _("Please choose one of the languages shown.")
LISTS_ERROR = _("Please choose only from the newsletters shown.")
ACTION_ERROR = _("Please use one of the buttons on this page.")


@dataclass(frozen=True)
class Row:
    """One list as the page shows it."""

    newsletter: Newsletter
    status: str  # the subscription's status, "" when they never had one

    @property
    def ticked(self) -> bool:
        return self.status in RECEIVING

    @property
    def pending(self) -> bool:
        return self.status == Status.PENDING


def rows(subscriber: Subscriber) -> list[Row]:
    """Every list offered on public forms, and any other list they get."""
    statuses = dict(
        Subscription.objects.filter(subscriber=subscriber).values_list("newsletter", "status")
    )
    shown = Newsletter.objects.for_preferences(subscriber.pk)
    return [Row(newsletter=n, status=statuses.get(n.pk, "")) for n in shown]


class PreferencesForm(forms.Form):
    newsletter = forms.MultipleChoiceField(
        required=False, error_messages={"invalid_choice": LISTS_ERROR}
    )
    language = forms.ChoiceField(
        error_messages={"required": LANGUAGE_ERROR, "invalid_choice": LANGUAGE_ERROR}
    )

    def __init__(self, data: Mapping[str, Any] | None, *, shown: list[Row]) -> None:
        super().__init__(data)
        self.shown = shown
        self.fields["newsletter"].choices = [(r.newsletter.slug, r.newsletter.name) for r in shown]  # type: ignore[attr-defined]
        self.fields["language"].choices = settings.LANGUAGES  # type: ignore[attr-defined]

    def newsletter_ids(self) -> set[int]:
        ticked = set(self.cleaned_data["newsletter"])
        return {r.newsletter.pk for r in self.shown if r.newsletter.slug in ticked}

    def error_list(self) -> list[str]:
        return [str(e) for errors in self.errors.values() for e in errors]
