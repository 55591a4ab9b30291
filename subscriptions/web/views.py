"""Reader-facing views. Thin: parse, run the guards, call one flow, answer.

Links from emails are opened by scanners as well as people, so a GET here never changes
anything: it shows a page whose button POSTs.
"""

from dataclasses import replace

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from .. import services
from ..core import consent
from ..core.tokens import check_confirm_token, check_unsubscribe_token
from ..guards import abuse, captcha, typos
from ..guards.origin import client_ip, is_cross_site
from ..guards.validation import printable
from ..models import ConfirmationEmail, Subscription
from ..sending import listmail
from . import links
from .forms import (
    CAPTCHA_NEEDED,
    FORM_EXPIRED,
    PRESS_AGAIN,
    FormState,
    SubscribeForm,
    TypoQuestion,
    over_limit_message,
    success_answer,
)

# Each link's token waits in its own cookie (links.py) for the page's button.
CONFIRM_COOKIE = "confirm_link"
UNSUBSCRIBE_COOKIE = "unsubscribe_link"
# The two encodings RFC 8058 allows for its one-click POST.
ONE_CLICK_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


@csrf_exempt  # cached article pages carry no CSRF token; origin.is_cross_site guards instead
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    wants_json = "application/json" in request.headers.get("Accept", "")
    if is_cross_site(request):
        message = _("Sign-ups are accepted only from this site's own pages.")
        if wants_json:
            return JsonResponse({"ok": False, "message": message}, status=403)
        return render(request, "subscriptions/refused.html", {"message": message}, status=403)
    fields = _with_chosen_email(request.POST)
    form = SubscribeForm(fields)
    question, verdict = None, None
    if form.is_valid():
        # Asked before the pipeline runs and before anything is recorded; from the typed
        # text alone, so the question is the same whether or not the address is known.
        question = _typo_question(form.cleaned_data["email"], fields)
    if form.is_valid() and question is None:
        verdict = abuse.check(_single(fields), ip=client_ip(request))
        if verdict.allowed:
            newsletters = form.newsletters
            services.record_sign_up(
                email=form.cleaned_data["email"],
                newsletter_ids=[n.pk for n in newsletters],
                consent=links.consent(
                    request,
                    page_url=form.cleaned_data["page"],
                    form_id=form.cleaned_data["form_id"],
                    wording=consent.wording([n.name for n in newsletters]),
                ),
                language=get_language() or "",
            )
    if verdict is not None and verdict.over_limit:
        back = form.cleaned_data["page"] or "/"
        return _over_limit(request, back, verdict.retry_after, wants_json)
    return _answer(request, fields, form, verdict, question, wants_json)


def _with_chosen_email(data: QueryDict) -> QueryDict:
    """The submission with the reader's answer to "Did you mean …?" applied: the address
    they chose (the suggestion, or what they typed) is the one they checked."""
    if "email_choice" not in data:
        return data
    fields = data.copy()
    choice = data.get("email_choice", "")
    fields["email"] = fields["email_checked"] = choice
    return fields


def _single(fields: QueryDict) -> dict[str, str]:
    """Each field's last value, as the abuse pipeline reads a submission."""
    return {key: str(value) for key, value in fields.items()}


def _typo_question(email: str, fields: QueryDict) -> TypoQuestion | None:
    if fields.get("email_checked") == fields.get("email"):
        return None  # the reader chose this address on the question's page
    suggested = typos.suggest(email)
    return TypoQuestion(typed=email, suggested=suggested) if suggested else None


@never_cache
def form_token(request: HttpRequest) -> JsonResponse:
    """A fresh signed page-view time, for forms on pages served from a cache; and the
    domains subscribe.js checks for typos before anything is sent (the one list, typos.py)."""
    return JsonResponse({"token": abuse.make_form_token(), "typo_domains": typos.COMMON_DOMAINS})


def _answer(
    request: HttpRequest,
    fields: QueryDict,
    form: SubscribeForm,
    verdict: abuse.Verdict | None,
    question: TypoQuestion | None,
    wants_json: bool,
) -> HttpResponse:
    errors = form.error_messages()
    if verdict is not None and verdict.press_again:
        errors = {"form": str(FORM_EXPIRED if verdict.expired else PRESS_AGAIN)}
    needs_captcha = verdict is not None and verdict.needs_captcha
    if needs_captcha:
        errors = {"form": str(CAPTCHA_NEEDED)}
    answer = None if errors or question else success_answer()
    status = 429 if needs_captcha else 400 if errors else 200
    token = abuse.token_for_resubmit(_single(fields), verdict)
    if wants_json:
        if answer is not None:
            return JsonResponse({"ok": True, **answer.as_json()})
        body: dict[str, object] = {"ok": False, "errors": errors, "form_token": token}
        if question is not None:
            body["question"] = question.as_json()
        if needs_captcha:
            body["captcha"] = True  # its widget comes with a page: the script posts the form
        return JsonResponse(body, status=status)
    state = _shown_again(request, fields, form, token, errors=errors)
    state = replace(state, success=answer, question=question, captcha=needs_captcha)
    context = {"subscribe_state": state, "back": state.page or "/"}
    context["offered"] = _offered(request, form)
    chosen = captcha.provider() if needs_captcha else None
    context["captcha_script"] = chosen.script if chosen else None
    response = render(request, "subscriptions/subscribe_result.html", context, status=status)
    return captcha.allow_widget(response, chosen) if chosen else response


def _offered(request: HttpRequest, form: SubscribeForm) -> list[str]:
    """The lists the form offered, so the re-rendered form looks like the one the reader used."""
    known = [slug for slug, _name in form.offered_choices]
    return [slug for slug in request.POST.getlist("offered") if slug in known] or known


def _shown_again(
    request: HttpRequest,
    fields: QueryDict,
    form: SubscribeForm,
    token: str,
    errors: dict[str, str],
) -> FormState:
    known = {slug for slug, _name in form.offered_choices}
    return FormState(
        # Shown back to the reader: only what the form cleaned, or printable text. Without a
        # usable form id, the id {% subscribe_form %} gives a form for these lists.
        form_id=form.cleaned_data.get("form_id") or "-".join(_offered(request, form))[:50],
        form_token=token,
        page=form.cleaned_data.get("page", ""),
        email=printable(fields.get("email", ""), 300),
        selected=frozenset(fields.getlist("newsletter")) & known,
        errors=errors,
    )


def _over_limit(
    request: HttpRequest, back: str, retry_after: int, wants_json: bool
) -> HttpResponse:
    """An honest answer: too many sign-ups from this network, and when to try again. Many
    readers share one address (an office, a university, a mobile carrier)."""
    message = over_limit_message(retry_after)
    if wants_json:
        body = {"ok": False, "errors": {"form": message}, "retry_after": retry_after}
        response: HttpResponse = JsonResponse(body, status=429)
    else:
        context = {"message": message, "back": back}
        response = render(request, "subscriptions/over_limit.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


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
        if not _is_one_click(request):
            message = _(
                "This is not a one-click unsubscribe: its body must be "
                "List-Unsubscribe=One-Click (RFC 8058). To unsubscribe yourself, open the link "
                "in your browser."
            )
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        check = check_unsubscribe_token(token)
        if check.object_id is None or check.expired:
            return HttpResponse(_("This unsubscribe link is not valid."), status=400)
        services.unsubscribe(subscription_id=check.object_id, detail="one-click (RFC 8058)")
        return HttpResponse(_("You have been unsubscribed."), content_type="text/plain")
    return links.stash_token(
        UNSUBSCRIBE_COOKIE, token, "subscriptions:unsubscribe", check=check_unsubscribe_token
    )


def _is_one_click(request: HttpRequest) -> bool:
    """RFC 8058 3.2: the body is List-Unsubscribe=One-Click, urlencoded or multipart. Anything
    else (an empty POST, some client's prefetch) leaves the reader subscribed."""
    return request.content_type in ONE_CLICK_TYPES and (
        request.POST.get("List-Unsubscribe") == "One-Click"
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
    # The line the page shows beside "Subscribe again", stored as that consent's wording.
    wording = consent.wording([subscription.newsletter.name])
    if request.method == "POST" and request.POST.get("action") == "resubscribe":
        given = links.consent(
            request, page_url=request.path, form_id="resubscribe", wording=wording
        )
        resubscribed = services.resubscribe(subscription_id=subscription.pk, consent=given)
    elif request.method == "POST":
        services.unsubscribe(subscription_id=subscription.pk)
    if request.method == "POST":
        subscription.refresh_from_db()
    context = {
        "subscription": subscription,
        "resubscribed": resubscribed,
        "consent_wording": wording,
        "preferences_url": listmail.preferences_path(subscription.subscriber_id),
    }
    return render(request, "subscriptions/unsubscribe.html", context)
