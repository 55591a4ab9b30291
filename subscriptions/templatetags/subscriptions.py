from django import template
from django.conf import settings

from .. import abuse, captcha
from ..forms import CONSENT_WORDING
from ..models import Newsletter

register = template.Library()


@register.inclusion_tag("subscriptions/form.html", takes_context=True)
def subscribe_form(context, *slugs, form_id="", variant="inline", title="", slug_list=None):
    """Render a sign-up form for one list, or several as checkboxes.

    {% subscribe_form "explaining-ukraine" form_id="promo" variant="promo" %}

    The output is the same for every visitor (no CSRF token, no session), so the page that
    holds it can be served from a shared cache.
    """
    wanted = [*slugs, *(slug_list or [])]
    offered, page_token = _per_page(context)
    newsletters = [n for n in offered if n.slug in wanted]
    form_id = form_id or "-".join(wanted)[:50]
    state = context.get("subscribe_state") or {}
    mine = state.get("form_id") == form_id
    selected = set(state.get("selected", [])) if mine else {n.slug for n in newsletters}
    return {
        "newsletters": newsletters,
        "selected": selected,
        "form_id": form_id,
        "variant": variant,
        "title": title,
        "page": (state.get("page") if mine else "") or getattr(context.get("request"), "path", ""),
        "consent_wording": CONSENT_WORDING,
        "email": state.get("email", "") if mine else "",
        "errors": state.get("errors", {}) if mine else {},
        "success": state.get("success") if mine else None,
        "form_token": state.get("form_token") if mine else page_token,
        "honeypot_field": settings.SIGNUP_HONEYPOT_FIELD,
        "captcha": captcha.provider(),
        "captcha_site_key": settings.CAPTCHA_SITE_KEY,
    }


def _per_page(context) -> tuple[list[Newsletter], str]:
    """The offered lists and a form token, once per page however many forms it holds."""
    holder = context.get("request") or context
    cached = getattr(holder, "_subscribe_forms", None)
    if cached is None:
        cached = (list(Newsletter.objects.offered()), abuse.make_form_token())
        holder._subscribe_forms = cached
    return cached
