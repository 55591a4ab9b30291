"""Reader-facing views. Thin: parse, run the guards, call one flow, answer.

Links from emails are opened by scanners as well as people, so a GET here never changes
anything: it shows a page whose button POSTs.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import abuse, services, typos
from .app_settings import app_settings
from .forms import CONSENT_WORDING, FORM_EXPIRED, FormState, SubscribeForm, success_answer
from .models import Subscription
from .origin import client_ip, is_cross_site
from .tokens import check_confirm_token, check_unsubscribe_token

CONFIRM_SESSION_KEY = "_confirm_token"
UNSUBSCRIBE_SESSION_KEY = "_unsubscribe_token"


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
        elif verdict.allowed:
            services.record_sign_up(
                email=form.cleaned_data["email"],
                newsletter_ids=[n.pk for n in form.newsletters],
                consent=_consent(request, form),
                language=get_language() or "",
            )
    return _answer(request, form, wants_json)


@never_cache
def form_token(request: HttpRequest) -> JsonResponse:
    """A fresh signed render time, for forms on pages served from a cache."""
    return JsonResponse({"token": abuse.make_form_token()})


def _consent(request: HttpRequest, form: SubscribeForm) -> services.ConsentInput:
    return services.ConsentInput(
        page_url=form.cleaned_data["page"],
        form_id=form.cleaned_data["form_id"],
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:500],
        wording=str(CONSENT_WORDING),
        version=app_settings.CONSENT_VERSION,
    )


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
    state = FormState(
        form_id=fields.get("form_id", "")[:50],
        form_token=abuse.token_for_resubmit(fields),
        page=form.cleaned_data.get("page", ""),
        email=fields.get("email", "")[:300],
        selected=frozenset(request.POST.getlist("newsletter")),
        errors=form.error_messages(),
        success=answer,
    )
    # The lists the form offered, so the re-rendered form looks like the one the reader used.
    offered = request.POST.getlist("offered") or [slug for slug, _name in form.offered_choices]
    context = {"subscribe_state": state, "back": state.page or "/", "offered": offered}
    return render(
        request, "subscriptions/subscribe_result.html", context, status=200 if ok else 400
    )


@never_cache
def confirm_link(request: HttpRequest, token: str) -> HttpResponse:
    return _stash_token(request, CONFIRM_SESSION_KEY, token, "subscriptions:confirm")


def _stash_token(request: HttpRequest, key: str, token: str, page: str) -> HttpResponse:
    # Keep the token out of the URL the page is shown at (and so out of Referer headers and
    # browser history), as PasswordResetConfirmView does.
    request.session[key] = token
    return redirect(page)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    check = check_confirm_token(request.session.get(CONFIRM_SESSION_KEY, ""))
    if check.object_id is None:
        return render(request, "subscriptions/link_invalid.html", status=400)
    if check.expired:
        return render(request, "subscriptions/confirm_expired.html", status=400)
    if request.method == "POST":
        result = services.confirm(email_id=check.object_id)
        return render(request, "subscriptions/confirm_done.html", {"result": result})
    subscriptions = Subscription.objects.of_confirmation_email(check.object_id).in_list_order()
    if not subscriptions.pending().exists():
        # Nothing to do: say whether these lists are confirmed, or no longer apply at all.
        confirmed = [s.newsletter.name for s in subscriptions.confirmed()]
        result = services.ConfirmResult(confirmed=[], already=confirmed)
        return render(request, "subscriptions/confirm_done.html", {"result": result})
    return render(request, "subscriptions/confirm.html", {"subscriptions": subscriptions})


@never_cache
@require_POST
def confirm_resend(request: HttpRequest) -> HttpResponse:
    check = check_confirm_token(request.session.get(CONFIRM_SESSION_KEY, ""))
    if check.object_id is None:
        return render(request, "subscriptions/link_invalid.html", status=400)
    services.resend_confirmation(email_id=check.object_id)
    request.session.pop(CONFIRM_SESSION_KEY, None)
    return render(request, "subscriptions/confirm_resent.html")


@csrf_exempt  # RFC 8058: the mailbox provider POSTs here with no cookie and no token
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe_link(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        check = check_unsubscribe_token(token)
        if check.object_id is None or check.expired:
            return HttpResponse(_("This unsubscribe link is not valid."), status=400)
        services.unsubscribe(subscription_id=check.object_id, detail="one-click (RFC 8058)")
        return HttpResponse(_("You have been unsubscribed."), content_type="text/plain")
    return _stash_token(request, UNSUBSCRIBE_SESSION_KEY, token, "subscriptions:unsubscribe")


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest) -> HttpResponse:
    check = check_unsubscribe_token(request.session.get(UNSUBSCRIBE_SESSION_KEY, ""))
    subscription = (
        Subscription.objects.with_list().filter(pk=check.object_id).first()
        if check.valid
        else None
    )
    if subscription is None:
        return render(request, "subscriptions/link_invalid.html", status=400)
    if request.method == "POST":
        services.unsubscribe(subscription_id=subscription.pk)
        subscription.refresh_from_db()
    return render(request, "subscriptions/unsubscribe.html", {"subscription": subscription})
