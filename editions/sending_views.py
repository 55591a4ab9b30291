"""The admin's "Send now": a confirmation page naming the edition, the list and the exact
count, then the send. Both need "Can send an edition"; the send itself is the flow's
(services.start_send), which refuses a second press."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from subscriptions.api import editor_actor

from . import recipients, services
from .models import Edition, EditionStatus
from .preview import edition_for, editor_of


def send_page(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    if not model_admin.has_send_edition_permission(request):  # type: ignore[attr-defined]
        raise PermissionDenied
    edition = edition_for(model_admin, request, object_id)
    back = HttpResponseRedirect(reverse("admin:editions_edition_change", args=[edition.pk]))
    if request.method == "POST":
        _start(request, edition)
        return back
    if edition.status != EditionStatus.DRAFT:
        messages.error(request, _("Only a draft can be sent; this edition is %(status)s.")
                       % {"status": edition.get_status_display()})  # fmt: skip
        return back
    return TemplateResponse(
        request, "admin/editions/edition/send.html", _context(model_admin, request, edition)
    )


def _start(request: HttpRequest, edition: Edition) -> None:
    actor = editor_actor(editor_of(request).get_username())
    try:
        services.start_send(edition=edition, actor=actor)
    except services.SendRefused as refused:
        messages.error(request, str(refused))
        return
    messages.success(
        request,
        _("Sending “%(subject)s” to %(list)s has started.")
        % {"subject": edition.subject, "list": edition.newsletter.name},
    )


def _context(
    model_admin: admin.ModelAdmin, request: HttpRequest, edition: Edition
) -> dict[str, Any]:
    count = recipients.count_for(edition.newsletter)
    question = ngettext(
        "Send “%(subject)s” to %(count)s confirmed reader of %(list)s?",
        "Send “%(subject)s” to %(count)s confirmed readers of %(list)s?",
        count,
    ) % {
        "subject": edition.subject,
        "count": number_format(count, force_grouping=True),
        "list": edition.newsletter.name,
    }
    return {
        **model_admin.admin_site.each_context(request),
        "opts": Edition._meta,
        "original": edition,
        "title": _("Send now"),
        "question": question,
        "count": count,
    }
