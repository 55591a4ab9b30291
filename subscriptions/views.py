"""Reader-facing views. Thin: parse, call one service, answer.

Links from emails are opened by scanners as well as people, so a GET here never changes
anything: it shows a page whose button POSTs.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import CONSENT_WORDING, SubscribeForm
from .models import Subscription
from .origin import client_ip, is_cross_site
from .tokens import check_confirm_token, check_unsubscribe_token

CONFIRM_SESSION_KEY = "_confirm_token"
UNSUBSCRIBE_SESSION_KEY = "_unsubscribe_token"


def success_answer() -> dict:
    return {
        "heading": _("Successfully subscribed"),
        "message": _(
            "Thank you for signing up for this newsletter. We've sent you a confirmation email."
        ),
    }


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
        services.sign_up(
            email=form.cleaned_data["email"],
            newsletters=form.newsletters,
            consent=_consent(request, form),
        )
    return _answer(request, form, wants_json)


def _consent(request: HttpRequest, form: SubscribeForm) -> services.ConsentInput:
    from django.conf import settings

    return services.ConsentInput(
        page_url=form.cleaned_data["page"],
        form_id=form.cleaned_data["form_id"],
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:500],
        wording=str(CONSENT_WORDING),
        version=settings.CONSENT_VERSION,
    )


def _answer(request: HttpRequest, form: SubscribeForm, wants_json: bool) -> HttpResponse:
    status = 200 if form.is_valid() else 400
    errors = {field: str(errs[0]) for field, errs in form.errors.items()}
    if wants_json:
        body = (
            {"ok": True, **success_answer()} if status == 200 else {"ok": False, "errors": errors}
        )
        return JsonResponse(body, status=status)
    state = {
        "form_id": request.POST.get("form_id", "")[:50],
        "email": request.POST.get("email", "")[:300],
        "selected": request.POST.getlist("newsletter"),
        "errors": errors,
        "success": success_answer() if status == 200 else None,
    }
    page = form.cleaned_data.get("page", "") if status == 200 else ""
    # The lists the form offered, so the re-rendered form looks like the one the reader used.
    offered = request.POST.getlist("offered") or [c[0] for c in form.fields["newsletter"].choices]
    context = {"subscribe_state": state, "back": page or "/", "offered": offered}
    return render(request, "subscriptions/subscribe_result.html", context, status=status)


@never_cache
def confirm_link(request: HttpRequest, token: str) -> HttpResponse:
    # Keep the token out of the URL the page is shown at (and so out of Referer headers and
    # browser history), as PasswordResetConfirmView does.
    request.session[CONFIRM_SESSION_KEY] = token
    return redirect("subscriptions:confirm")


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    check = check_confirm_token(request.session.get(CONFIRM_SESSION_KEY, ""))
    if check.object_id is None:
        return render(request, "subscriptions/link_invalid.html", status=400)
    if check.expired:
        return render(request, "subscriptions/confirm_expired.html", status=400)
    subscriptions = Subscription.objects.filter(
        confirmation_requests=check.object_id
    ).select_related("newsletter")
    if request.method == "POST":
        result = services.confirm(request_id=check.object_id)
        return render(request, "subscriptions/confirm_done.html", {"result": result})
    if not subscriptions.pending().exists():
        return render(request, "subscriptions/confirm_done.html", {"result": None})
    return render(request, "subscriptions/confirm.html", {"subscriptions": subscriptions})


@never_cache
@require_POST
def confirm_resend(request: HttpRequest) -> HttpResponse:
    check = check_confirm_token(request.session.get(CONFIRM_SESSION_KEY, ""))
    if check.object_id is None:
        return render(request, "subscriptions/link_invalid.html", status=400)
    services.resend_confirmation(request_id=check.object_id)
    request.session.pop(CONFIRM_SESSION_KEY, None)
    return render(request, "subscriptions/confirm_resent.html")


@csrf_exempt  # RFC 8058: the mailbox provider POSTs here with no cookie and no token
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe_link(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        check = check_unsubscribe_token(token)
        if not check.valid:
            return HttpResponse(_("This unsubscribe link is not valid."), status=400)
        services.unsubscribe(subscription_id=check.object_id, detail="one-click (RFC 8058)")
        return HttpResponse(_("You have been unsubscribed."), content_type="text/plain")
    request.session[UNSUBSCRIBE_SESSION_KEY] = token
    return redirect("subscriptions:unsubscribe")


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest) -> HttpResponse:
    check = check_unsubscribe_token(request.session.get(UNSUBSCRIBE_SESSION_KEY, ""))
    if not check.valid:
        return render(request, "subscriptions/link_invalid.html", status=400)
    subscription = (
        Subscription.objects.select_related("newsletter").filter(pk=check.object_id).first()
    )
    if subscription is None:
        return render(request, "subscriptions/link_invalid.html", status=400)
    if request.method == "POST":
        services.unsubscribe(subscription_id=subscription.pk)
        subscription.refresh_from_db()
    return render(request, "subscriptions/unsubscribe.html", {"subscription": subscription})
