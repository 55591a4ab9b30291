"""The reader's own pages: the preference center, and the download of their data.

Reached only from links we emailed: the preference link is in every list email (and on the
unsubscribe page), and never expires, like the unsubscribe link; the data link is emailed on
request and works for a day. As everywhere here, a GET changes nothing: the page's buttons
POST, with CSRF.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from .. import services
from ..app_settings import app_settings
from ..core.tokens import check_data_export_token, check_preferences_token
from ..models import Subscriber
from ..privacy import personal_data
from . import links
from .preference_forms import ACTION_ERROR, PREFERENCES_WORDING, PreferencesForm, rows

PREFERENCES_COOKIE = "preferences_link"
DATA_EXPORT_COOKIE = "data_export_link"


@never_cache
def preferences_link(request: HttpRequest, token: str) -> HttpResponse:
    page = "subscriptions:preferences"
    return links.stash_token(PREFERENCES_COOKIE, token, page, check=check_preferences_token)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    check = check_preferences_token(links.stashed(request, PREFERENCES_COOKIE))
    subscriber = (
        Subscriber.objects.filter(pk=check.object_id).first()
        if check.object_id is not None
        else None
    )
    if subscriber is None:  # a bad link, or a reader who has been erased since
        return render(request, "subscriptions/link_invalid.html", status=400)
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    context: dict[str, object] = {}
    status = 200
    if action == "unsubscribe_all":
        context["left_all"] = services.unsubscribe_all(subscriber_id=subscriber.pk)
    elif action == "export":
        # The same answer whether or not an email was queued: the daily limit is no secret,
        # and the page must not invite pressing again.
        services.request_data_export(subscriber_id=subscriber.pk)
        context["export_requested"] = True
    elif action == "save":
        form = PreferencesForm(request.POST, shown=rows(subscriber))
        if form.is_valid():
            context["saved"] = _save(request, subscriber, form)
        else:
            context["errors"], status = form.error_list(), 400
    elif request.method == "POST":  # no button of the page sends any other action
        context["errors"], status = [str(ACTION_ERROR)], 400
    if request.method == "POST":
        # As the action left it; gone if they were erased meanwhile.
        subscriber = Subscriber.objects.filter(pk=subscriber.pk).first()
        if subscriber is None:
            return render(request, "subscriptions/link_invalid.html", status=400)
    return _page(request, subscriber, context, status)


def _save(
    request: HttpRequest, subscriber: Subscriber, form: PreferencesForm
) -> services.PreferencesSaved | None:
    consent = links.consent(
        request,
        page_url=reverse("subscriptions:preferences"),
        form_id="preferences",
        wording=str(PREFERENCES_WORDING),
    )
    return services.update_preferences(
        subscriber_id=subscriber.pk,
        newsletter_ids=form.newsletter_ids(),
        language=form.cleaned_data["language"],
        consent=consent,
    )


def _page(
    request: HttpRequest, subscriber: Subscriber, context: dict[str, object], status: int
) -> HttpResponse:
    context |= {
        "link_hours": app_settings.DATA_EXPORT_LINK_MAX_AGE // 3600,
        "interval_hours": app_settings.DATA_EXPORT_INTERVAL // 3600,
        "rows": rows(subscriber),
        "address": subscriber.email,  # which spelling of their inbox this page is for
        "language": subscriber.language or get_language(),
        "wording": PREFERENCES_WORDING,
    }
    return render(request, "subscriptions/preferences.html", context, status=status)


@never_cache
def data_export_link(request: HttpRequest, token: str) -> HttpResponse:
    page = "subscriptions:data_export"
    return links.stash_token(DATA_EXPORT_COOKIE, token, page, check=check_data_export_token)


@never_cache
@require_safe
def data_export(request: HttpRequest) -> HttpResponse:
    subscriber = _exporting(request)
    if isinstance(subscriber, HttpResponse):
        return subscriber
    summary = personal_data.document(subscriber)
    return render(request, "subscriptions/data_export.html", {"data": summary})


@never_cache
@require_safe
def data_export_download(request: HttpRequest) -> HttpResponse:
    """The JSON document, as a file: reading it changes nothing."""
    subscriber = _exporting(request)
    if isinstance(subscriber, HttpResponse):
        return subscriber
    return personal_data.download([subscriber])


def _exporting(request: HttpRequest) -> Subscriber | HttpResponse:
    """The subscriber whose data the stashed link opens, or the page saying it can't."""
    check = check_data_export_token(links.stashed(request, DATA_EXPORT_COOKIE))
    if check.expired:
        hours = app_settings.DATA_EXPORT_LINK_MAX_AGE // 3600
        context = {"link_hours": hours}
        return render(request, "subscriptions/data_export_expired.html", context, status=400)
    subscriber = (
        Subscriber.objects.filter(data_export_emails=check.object_id).first()
        if check.valid
        else None
    )
    if subscriber is None:
        return render(request, "subscriptions/link_invalid.html", status=400)
    return subscriber
