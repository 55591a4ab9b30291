"""The admin's preview of an edition and its "Send a test to me": admin views, mounted by
EditionAdmin.get_urls behind admin_view (signed-in staff only).

The preview page frames the email at 600 and 375 px. Each frame's source is a URL of its own
(PreviewEmail, through subscriptions' EmailPageView): that one response allows the email's
inline styles and https images; the page around it keeps the admin's strict CSP. The email is
composed as a reader gets it, with links of the test purpose in place of a reader's, so
nothing in a preview can unsubscribe anyone.
"""

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from subscriptions.api import EmailPageView

from . import composing, services
from .body import HTML_LIMIT, render
from .models import Edition

WIDTHS = (600, 375)  # a desktop client's column, and a phone's


def language_of(request: HttpRequest, value: str | None) -> str:
    """One of the readers' languages (LANGUAGES): the one asked for, else the admin's own."""
    offered = dict(settings.LANGUAGES)
    if value in offered:
        return str(value)
    current = get_language() or settings.LANGUAGE_CODE
    return current if current in offered else settings.LANGUAGE_CODE


def editor_of(request: HttpRequest) -> User:
    """The signed-in editor (admin_view has let no one else in)."""
    assert isinstance(request.user, User)
    return request.user


def edition_for(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> Edition:
    edition = model_admin.get_object(request, object_id)
    if edition is None:
        raise Http404
    if not model_admin.has_view_permission(request, edition):
        raise PermissionDenied
    return edition


def preview_page(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    edition = edition_for(model_admin, request, object_id)
    language = language_of(request, request.GET.get("language"))
    message = composing.preview_message(edition, language=language)
    rendered = render(edition.body)
    email_url = reverse("admin:editions_edition_preview_email", args=[edition.pk])
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "opts": Edition._meta,
        "original": edition,
        "title": _("Preview: %(subject)s") % {"subject": edition.subject},
        "subject": message.subject,
        "text": message.body,
        "frames": [(width, f"{email_url}?language={language}") for width in WIDTHS],
        "warnings": rendered.warnings,
        "size_kb": rendered.html_bytes // 1000,
        "limit_kb": HTML_LIMIT // 1000,
        "language": language,
        "languages": settings.LANGUAGES,
        "can_send_test": model_admin.has_send_edition_permission(request),  # type: ignore[attr-defined]
        "editor_email": getattr(request.user, "email", ""),
    }
    return TemplateResponse(request, "admin/editions/edition/preview.html", context)


class PreviewEmail(EmailPageView):
    """The framed email: the edition's HTML part as a reader gets it, in the asked language."""

    model_admin: admin.ModelAdmin | None = None

    def get_email_html(self) -> str:
        assert self.model_admin is not None
        edition = edition_for(self.model_admin, self.request, str(self.kwargs["object_id"]))
        language = language_of(self.request, self.request.GET.get("language"))
        message = composing.preview_message(edition, language=language)
        return str(message.alternatives[0][0])


def send_test(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """Queue a test to the signed-in editor's own address; any address in the post is ignored."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])  # a GET never sends
    if not model_admin.has_send_edition_permission(request):  # type: ignore[attr-defined]
        raise PermissionDenied
    edition = edition_for(model_admin, request, object_id)
    language = language_of(request, request.POST.get("language"))
    back = reverse("admin:editions_edition_preview", args=[edition.pk])
    try:
        test = services.request_test(edition=edition, editor=editor_of(request), language=language)
    except services.TestRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("A test of “%(subject)s” is on its way to %(address)s.")
            % {"subject": edition.subject, "address": test.address},
        )
    return HttpResponseRedirect(f"{back}?language={language}")
