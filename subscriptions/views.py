"""Reader-facing views. Thin: parse, run the guards, call one flow, answer.

Links from emails are opened by scanners as well as people, so a GET here never changes
anything: it shows a page whose button POSTs.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import abuse, links, listmail, services, typos
from .forms import (
    CONSENT_WORDING,
    FORM_EXPIRED,
    PRESS_AGAIN,
    FormState,
    SubscribeForm,
    success_answer,
)
from .models import ConfirmationEmail, Subscription
from .origin import client_ip, is_cross_site
from .tokens import check_confirm_token, check_unsubscribe_token
from .validation import printable

# Each link's token waits in its own cookie (links.py) for the page's button.
CONFIRM_COOKIE = "confirm_link"
UNSUBSCRIBE_COOKIE = "unsubscribe_link"


@csrf_exempt  # cached article pages carry no CSRF token; origin.is_cross_site guards instead
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    wants_json = "application/json" in request.headers.get("Accept", "")
    if is_cross_site(request):
        message = _("Sign-ups are accepted only from this site's own pages.")
        if wants_json:
            return JsonResponse({"ok": False, "message": message}, status=403)
        return render(request, "subscriptions/refused.html", {"message": message}, status=403)
    form = SubscribeForm(request.POST)
    if form.is_valid():
        # Runs after validation, so bad input still gets its message; everything the pipeline
        # blocks gets the normal answer below, with nothing stored or sent.
        verdict = abuse.check(request.POST.dict(), ip=client_ip(request))
        if verdict.expired:
            form.add_error(None, FORM_EXPIRED)
        elif verdict.too_soon_again:
            form.add_error(None, PRESS_AGAIN)
        elif verdict.allowed:
            services.record_sign_up(
                email=form.cleaned_data["email"],
                newsletter_ids=[n.pk for n in form.newsletters],
                consent=links.consent(
                    request,
                    page_url=form.cleaned_data["page"],
                    form_id=form.cleaned_data["form_id"],
                    wording=str(CONSENT_WORDING),
                ),
                language=get_language() or "",
            )
    return _answer(request, form, wants_json)


@never_cache
def form_token(request: HttpRequest) -> JsonResponse:
    """A fresh signed render time, for forms on pages served from a cache."""
    return JsonResponse({"token": abuse.make_form_token()})


def _answer(request: HttpRequest, form: SubscribeForm, wants_json: bool) -> HttpResponse:
    fields = request.POST.dict()
    ok = form.is_valid()
    answer = success_answer(typos.suggest(form.cleaned_data["email"]) or "") if ok else None
    if wants_json:
        if answer is not None:
            return JsonResponse({"ok": True, **answer.as_json()})
        errors = form.error_messages()
        body = {"ok": False, "errors": errors, "form_token": abuse.token_for_resubmit(fields)}
        return JsonResponse(body, status=400)
    known = [slug for slug, _name in form.offered_choices]
    # The lists the form offered, so the re-rendered form looks like the one the reader used.
    offered = [slug for slug in request.POST.getlist("offered") if slug in known] or known
    state = FormState(
        # Shown back to the reader: only what the form cleaned, or printable text. Without a
        # usable form id, the id {% subscribe_form %} gives a form for these lists.
        form_id=form.cleaned_data.get("form_id") or "-".join(offered)[:50],
        form_token=abuse.token_for_resubmit(fields),
        page=form.cleaned_data.get("page", ""),
        email=printable(fields.get("email", ""), 300),
        selected=frozenset(request.POST.getlist("newsletter")) & frozenset(known),
        errors=form.error_messages(),
        success=answer,
    )
    context = {"subscribe_state": state, "back": state.page or "/", "offered": offered}
    return render(
        request, "subscriptions/subscribe_result.html", context, status=200 if ok else 400
    )


@never_cache
def confirm_link(request: HttpRequest, token: str) -> HttpResponse:
    return links.stash_token(
        CONFIRM_COOKIE, token, "subscriptions:confirm", check=check_confirm_token
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    check = check_confirm_token(links.stashed(request, CONFIRM_COOKIE))
    if check.object_id is None:
        return render(request, "subscriptions/link_invalid.html", status=400)
    if check.expired:
        return render(request, "subscriptions/confirm_expired.html", status=400)
    if request.method == "POST":
        result = services.confirm(email_id=check.object_id)
        return _confirm_done(request, check.object_id, result)
    awaiting = Subscription.objects.awaiting_confirmation_email(check.object_id)
    if not awaiting.exists():
        # Nothing to do: say whether these lists are confirmed, or no longer apply at all.
        of_email = Subscription.objects.of_confirmation_email(check.object_id)
        confirmed = [s.newsletter.name for s in of_email.confirmed().in_list_order()]
        result = services.ConfirmResult(confirmed=[], already=confirmed)
        return _confirm_done(request, check.object_id, result)
    context = {"subscriptions": awaiting.in_list_order()}
    return render(request, "subscriptions/confirm.html", context)


def _confirm_done(
    request: HttpRequest, email_id: int, result: services.ConfirmResult
) -> HttpResponse:
    """The outcome, with the reader's preference center when they get something: the link
    came to their inbox, as the preference link does."""
    context: dict[str, object] = {"result": result}
    subscriber_id = ConfirmationEmail.objects.subscriber_of(email_id)
    if subscriber_id is not None and (result.confirmed or result.already):
        context["preferences_url"] = listmail.preferences_path(subscriber_id)
    return render(request, "subscriptions/confirm_done.html", context)


@never_cache
@require_POST
def confirm_resend(request: HttpRequest) -> HttpResponse:
    check = check_confirm_token(links.stashed(request, CONFIRM_COOKIE))
    if check.object_id is None:
        return render(request, "subscriptions/link_invalid.html", status=400)
    services.resend_confirmation(email_id=check.object_id)
    response = render(request, "subscriptions/confirm_resent.html")
    response.delete_cookie(CONFIRM_COOKIE, path=reverse("subscriptions:confirm"))
    return response


@csrf_exempt  # RFC 8058: the mailbox provider POSTs here with no cookie and no token
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_link(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        check = check_unsubscribe_token(token)
        if check.object_id is None or check.expired:
            return HttpResponse(_("This unsubscribe link is not valid."), status=400)
        services.unsubscribe(subscription_id=check.object_id, detail="one-click (RFC 8058)")
        return HttpResponse(_("You have been unsubscribed."), content_type="text/plain")
    return links.stash_token(
        UNSUBSCRIBE_COOKIE, token, "subscriptions:unsubscribe", check=check_unsubscribe_token
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest) -> HttpResponse:
    check = check_unsubscribe_token(links.stashed(request, UNSUBSCRIBE_COOKIE))
    subscription = (
        Subscription.objects.with_list().filter(pk=check.object_id).first()
        if check.valid
        else None
    )
    if subscription is None:
        return render(request, "subscriptions/link_invalid.html", status=400)
    resubscribed = None
    if request.method == "POST" and request.POST.get("action") == "resubscribe":
        consent = links.consent(
            request, page_url=request.path, form_id="resubscribe", wording=str(CONSENT_WORDING)
        )
        resubscribed = services.resubscribe(subscription_id=subscription.pk, consent=consent)
    elif request.method == "POST":
        services.unsubscribe(subscription_id=subscription.pk)
    if request.method == "POST":
        subscription.refresh_from_db()
    context = {
        "subscription": subscription,
        "resubscribed": resubscribed,
        "preferences_url": listmail.preferences_path(subscription.subscriber_id),
    }
    return render(request, "subscriptions/unsubscribe.html", context)
