"""Editors' admin for editions: an entry point. Editors write drafts here (the list, subject,
preheader and Markdown body); the status, the author and the times are read-only, and every
write goes through the flows (services/), which record who did what.

Editing a draft needs only the model's change permission; previewing, the view permission.
"Can send an edition" (`editions.send_edition`) is checked on every action that sends: the
test send now (the preview page's button and the list's action, which declares it as the
subscriber admin's actions declare theirs), then the real send, scheduling, pausing and
cancelling.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from subscriptions.models import Newsletter

from . import preview, recipients, sending_views, services
from .body import HTML_LIMIT, HTML_WARN, Rendered, render
from .models import Edition, EditionStatus, EditionTest

WRITTEN = ("newsletter", "subject", "preheader", "body")
NAME = "editions_edition"  # the admin's URL names for this model start so


class EditionForm(forms.ModelForm):
    rendered: Rendered | None = None  # the body as rendered by clean_body, for the warnings

    class Meta:
        model = Edition
        fields = WRITTEN
        error_messages = {
            "subject": {"required": _("An edition needs a subject.")},
            "body": {"required": _("An edition needs a body: write it in Markdown.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("newsletter")  # absent where the edition is read-only
        if field is None:
            return
        # Active lists; a draft of a list since switched off keeps its own list on offer.
        current = Q(pk=self.instance.newsletter_id) if self.instance.newsletter_id else Q()
        field.queryset = Newsletter.objects.filter(Q(is_active=True) | current)  # type: ignore[attr-defined]

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        rendered = render(body)
        if not rendered.text.strip():
            raise ValidationError(
                _("This body shows nothing once formatted. Write the edition's text.")
            )
        if rendered.html_bytes > HTML_LIMIT:
            raise ValidationError(
                _(
                    "This edition's email would be %(size)d KB of HTML, over %(limit)d KB: "
                    "Gmail clips a longer email and hides its unsubscribe link. Shorten it, "
                    "or split it into two editions."
                ),
                params={"size": rendered.html_bytes // 1000, "limit": HTML_LIMIT // 1000},
            )
        self.rendered = rendered
        return body


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    form = EditionForm
    list_display = ["subject", "newsletter", "status", "author", "changed_at"]
    list_filter = ["status", "newsletter"]
    search_fields = ["subject"]
    list_select_related = ["newsletter", "author"]
    actions = ["send_tests"]
    fields = [
        *WRITTEN,
        "status",
        "delivery",
        "author",
        "created_at",
        "changed_at",
        "sent_at",
        "history",
    ]
    readonly_fields = [
        "status",
        "delivery",
        "author",
        "created_at",
        "changed_at",
        "sent_at",
        "history",
    ]

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        email = preview.PreviewEmail.as_view(model_admin=self)
        mine = [
            path("<path:object_id>/preview/", wrap(self.preview_view), name=f"{NAME}_preview"),
            path("<path:object_id>/preview/email/", wrap(email), name=f"{NAME}_preview_email"),
            path(
                "<path:object_id>/send-test/", wrap(self.send_test_view), name=f"{NAME}_send_test"
            ),
            path("<path:object_id>/send/", wrap(self.send_view), name=f"{NAME}_send"),
        ]
        return mine + super().get_urls()

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return preview.preview_page(self, request, object_id)

    def send_test_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return preview.send_test(self, request, object_id)

    def send_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return sending_views.send_page(self, request, object_id)

    def has_send_edition_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("editions.send_edition")

    @admin.action(
        description=_("Send a test of the selected editions to me"),
        permissions=["send_edition"],
    )
    def send_tests(self, request: HttpRequest, queryset: QuerySet[Edition]) -> None:
        language = preview.language_of(request, None)
        editor = preview.editor_of(request)
        for edition in queryset.select_related("newsletter"):
            try:
                test = services.request_test(edition=edition, editor=editor, language=language)
            except services.TestRefused as refused:
                self.message_user(request, str(refused), messages.ERROR)
                return
            message = _("A test of “%(subject)s” is on its way to %(address)s.") % {
                "subject": edition.subject, "address": test.address,
            }  # fmt: skip
            self.message_user(request, message, messages.SUCCESS)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # A page opened while the edition was a draft, saved after it left draft (another
        # editor sent or scheduled it meanwhile): told, with nothing saved, not a bare 403 or
        # a 500. The flow's lock catches the moment between the two checks.
        try:
            if request.method == "POST" and object_id is not None:
                self._refuse_unless_draft(object_id)
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.NotADraft as refused:
            self.message_user(request, str(refused), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def _refuse_unless_draft(self, object_id: str) -> None:
        edition = Edition.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        if edition is not None and edition.status != EditionStatus.DRAFT:
            raise services.NotADraft(
                _("Only a draft can be edited; this edition is %(status)s. Nothing was saved.")
                % {"status": edition.get_status_display()}
            )

    def has_change_permission(self, request: HttpRequest, obj: Edition | None = None) -> bool:
        # Only a draft's words change; anything further along is shown read-only.
        if obj is not None and obj.status != EditionStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Edition | None = None) -> bool:
        # A draft may go; an edition that was scheduled or sent keeps its record.
        if obj is not None and obj.status != EditionStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("delivery"))
    def delivery(self, obj: Edition) -> str:
        if obj.pk is None or obj.status == EditionStatus.DRAFT:
            return "—"
        f = recipients.figures(obj, timezone.now())
        return _(
            "%(recipients)d recipients: %(sent)d sent, %(skipped)d skipped, %(refused)d "
            "refused, %(failed)d failed, %(queued)d to go (%(rate).1f a second over the last "
            "minute)."
        ) % {**f.__dict__, "rate": f.per_second}

    @admin.display(description=_("history"))
    def history(self, obj: Edition) -> SafeString:
        # Read-only text, not an inline: there is nothing in it to post back.
        if obj.pk is None:
            return mark_safe("")
        return format_html_join(
            mark_safe("<br>"),
            "{} · {} → {} · {}",
            (
                (localize(timezone.localtime(e.at)), e.from_status or "∅", e.to_status, e.actor)
                for e in obj.events.all()
            ),
        )

    def save_model(self, request: HttpRequest, obj: Edition, form: Any, change: bool) -> None:
        written = {name: form.cleaned_data[name] for name in WRITTEN}
        if change:
            saved = services.update_draft(edition=obj, **written)
        else:
            author = request.user if request.user.is_authenticated else None
            saved = services.create_draft(author=author, **written)
        # The admin's log entry and redirect read the object it handed over.
        obj.pk, obj.author, obj._state.adding = saved.pk, saved.author, False
        self._warn(request, form.rendered)

    def _warn(self, request: HttpRequest, rendered: Rendered | None) -> None:
        if rendered is None:
            return
        for warning in rendered.warnings:
            self.message_user(request, warning, messages.WARNING)
        if rendered.html_bytes > HTML_WARN:
            message = _(
                "This edition's email is %(size)d KB of HTML, near the %(limit)d KB Gmail "
                "shows before clipping it."
            ) % {"size": rendered.html_bytes // 1000, "limit": HTML_LIMIT // 1000}
            self.message_user(request, message, messages.WARNING)


@admin.register(EditionTest)
class EditionTestAdmin(admin.ModelAdmin):
    """Editors' tests, read-only: who asked, where it went, and how the send ended."""

    list_display = ["edition", "requested_by", "address", "state", "created_at", "closed_at"]
    list_filter = ["state"]
    list_select_related = ["edition", "requested_by"]
    fields = readonly_fields = (
        "edition", "requested_by", "address", "language", "state", "created_at",
        "attempts", "first_attempt_at", "closed_at", "message_id", "last_error",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a test is asked for from its edition's preview

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
