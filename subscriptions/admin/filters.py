"""A date-range filter for the admin's change lists: "who joined this week" without a
hand-typed URL. Django's own date filter offers only fixed ranges (today, past 7 days…).

A plain GET form of two date inputs, no script: it works under the site's strict CSP, and
carries the page's other choices (search, filters, ordering) as hidden fields, so applying it
keeps them. django-admin-rangefilter does this with inline script, which that CSP blocks."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.db.models import Field, Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DateRangeForm(forms.Form):
    def __init__(self, data: dict[str, str], *, names: tuple[str, str]) -> None:
        super().__init__(data)
        self.names = names
        self.fields[names[0]] = forms.DateField(label=_("From"), required=False)
        self.fields[names[1]] = forms.DateField(label=_("To"), required=False)
        for field in self.fields.values():
            field.widget.input_type = "date"  # the browser's own date picker, no script

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get(self.names[0]), data.get(self.names[1])
        if start and end and start > end:
            raise forms.ValidationError(_("The “from” date is after the “to” date."))
        return data


class DateRangeFilter(admin.FieldListFilter):
    """`<field>__from` and `<field>__to`, both days included, in the site's time zone."""

    template = "subscriptions/admin/date_range_filter.html"
    label: Any = None  # the filter's (lazily translated) title; None: the field's name

    def __init__(
        self,
        field: Field,
        request: HttpRequest,
        params: dict[str, str],
        model: type[Model],
        model_admin: admin.ModelAdmin,
        field_path: str,
    ) -> None:
        self.names = (f"{field_path}__from", f"{field_path}__to")
        given = {name: _last(params[name]) for name in self.names if name in params}
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = self.label or self.title
        self.applied = any(given.values())
        self.form = DateRangeForm(given, names=self.names)
        if given and not self.form.is_valid():
            # Shown above the list too: the filter's own box may be folded away.
            messages.error(request, _("The dates of “%s” were not applied.") % self.title)

    def expected_parameters(self) -> list[str | None]:
        return list(self.names)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.form.is_valid():
            return queryset
        start, end = (self.form.cleaned_data.get(name) for name in self.names)
        if start:
            queryset = queryset.filter(**{f"{self.field_path}__gte": _midnight(start)})
        if end:
            queryset = queryset.filter(**{f"{self.field_path}__lt": _midnight(end, days=1)})
        return queryset

    def choices(self, changelist: ChangeList) -> Iterator[Any]:
        # One "choice": the form, with the page's other parameters to carry along.
        kept = {
            name: value
            for name, value in changelist.params.items()
            if name not in self.names and name != PAGE_VAR
        }
        yield {
            "form": self.form,
            "kept": kept,
            "clear": changelist.get_query_string(remove=list(self.names)),
            "applied": self.applied,
        }

    @classmethod
    def titled(cls, title: str | Promise) -> type["DateRangeFilter"]:
        """This filter under a title of its own instead of the field's name."""
        return type(cls.__name__, (cls,), {"label": title})


def _last(value: str | list[str]) -> str:
    # Django passes each parameter's values as a list (a parameter may be repeated).
    return value[-1] if isinstance(value, list) else value


def _midnight(day: date, *, days: int = 0) -> datetime:
    """The first moment of `day` (plus `days`) in the site's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=days), time.min))
