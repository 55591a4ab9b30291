"""Adding a subscriber by hand, for editors with the model's add permission ("Can add
subscriber"): the subscriber admin's add page, a form of our own that calls
services.add_by_editor, instead of a model form that would write around the flows."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .. import services
from ..guards.validation import InvalidEmail, normalize_email
from ..models import Newsletter, Subscriber
from .common import editor

REFUSALS = {
    services.AddRefused.ERASED: _(
        "This address was erased at the reader's request, and can't be added by hand. Only "
        "the reader's own sign-up brings it back."
    ),
    services.AddRefused.SUPPRESSED: _(
        "This inbox is suppressed: it bounced for good or its reader marked our mail as spam, "
        "so nothing we send would reach it. See Suppressions."
    ),
}


class ManualAddForm(forms.Form):
    email = forms.CharField(label=_("Email address"), max_length=254)
    newsletters = forms.ModelMultipleChoiceField(
        label=_("Lists"),
        queryset=Newsletter.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(label=_("Language of their emails"), choices=settings.LANGUAGES)
    consent_note = forms.CharField(
        label=_("Where and when they gave consent"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_(
            "In your words, e.g. “Signed our paper form at the Lviv Book Forum, 14 March "
            "2026”. Stored as the consent record's wording, with your name."
        ),
    )
    send_confirmation = forms.BooleanField(
        label=_("Email them a confirmation link instead"),
        required=False,
        help_text=_(
            "Unticked: the lists are confirmed now and nothing is sent. Ticked: they wait "
            "until the reader presses the link in the email we send."
        ),
    )

    def clean_email(self) -> str:
        try:
            return normalize_email(self.cleaned_data["email"])
        except InvalidEmail:
            raise forms.ValidationError(_("Enter a valid email address.")) from None


class ManualAdd(admin.ModelAdmin):
    """The add page of SubscriberAdmin. Its permission is Django's own add permission."""

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ManualAddForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                return self._add(request, form.cleaned_data)
            except services.AddRefused as refused:
                form.add_error("email", REFUSALS[refused.reason])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add a subscriber by hand"),
            "opts": self.opts,
            "form": form,
            **(extra_context or {}),
        }
        status = 400 if form.is_bound else 200
        return TemplateResponse(
            request, "subscriptions/admin/add_subscriber.html", context, status=status
        )

    def _add(self, request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
        added = services.add_by_editor(
            email=data["email"],
            newsletter_ids=[n.pk for n in data["newsletters"]],
            language=data["language"],
            consent_note=data["consent_note"],
            actor=editor(request),
            send_confirmation=data["send_confirmation"],
        )
        subscriber = Subscriber.objects.get(pk=added.subscriber_id)
        self.log_addition(request, subscriber, "Added by hand, with a consent note.")
        for level, message in _outcome(added):
            self.message_user(request, message, level)
        url = reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk])
        return HttpResponseRedirect(url)


def _outcome(added: services.AddedByHand) -> list[tuple[int, str]]:
    said = []
    if added.confirmed:
        text = _("Confirmed on %(lists)s. Nothing was sent.")
        said.append((messages.SUCCESS, text % {"lists": ", ".join(added.confirmed)}))
    if added.to_confirm:
        text = _("A confirmation email asks them about %(lists)s.")
        said.append((messages.SUCCESS, text % {"lists": ", ".join(added.to_confirm)}))
    if added.not_sent:
        text = _(
            "No confirmation email could be sent now for %(lists)s: one was sent a few "
            "minutes ago, or the inbox had its daily limit of our emails."
        )
        said.append((messages.WARNING, text % {"lists": ", ".join(added.not_sent)}))
    if added.already:
        text = _("Already confirmed, left as it was: %(lists)s.")
        said.append((messages.INFO, text % {"lists": ", ".join(added.already)}))
    return said
