"""{% subscribe_form %}: a sign-up form for one list, or several as checkboxes."""

from dataclasses import replace
from typing import Any

from django import template
from django.template.context import Context
from django.urls import reverse

from ..app_settings import app_settings
from ..core import consent
from ..core.catalog import offered_lists
from ..guards import abuse, captcha
from ..models import Newsletter
from ..web.forms import FormState

register = template.Library()


@register.inclusion_tag("subscriptions/form.html", takes_context=True)
def subscribe_form(
    context: Context,
    *slugs: str,
    form_id: str = "",
    variant: str = "inline",
    title: str = "",
    slug_list: list[str] | None = None,
    every_offered: bool = False,
    embed: bool = False,
) -> dict[str, Any]:
    """Render a sign-up form for one list, or several as checkboxes.

    {% subscribe_form "explaining-ukraine" form_id="promo" variant="promo" %}
    {% subscribe_form every_offered=True form_id="footer" %}

    every_offered: every list offered on public forms, in their sort order, so a list an
    editor creates appears without a developer. embed: for a page on another site (the
    admin's embed code): it posts to SITE_URL, and its token and page come from subscribe.js.

    The output is the same for every visitor (no CSRF token, no session), so the page that
    holds it can be served from a shared cache. The form a reader just submitted is drawn
    again from its FormState, as they left it.
    """
    offered, page_token = _per_page(context)
    wanted = [n.slug for n in offered] if every_offered else [*slugs, *(slug_list or [])]
    newsletters = [n for n in offered if n.slug in wanted]
    form_id = form_id or "-".join(wanted)[:50]
    path = "" if embed else getattr(context.get("request"), "path", "")
    state = context.get("subscribe_state")
    if isinstance(state, FormState) and state.form_id == form_id:
        state = replace(state, page=state.page or path)
    else:
        # Nothing ticked for the reader: consent is given, never assumed.
        state = FormState(form_id=form_id, form_token="" if embed else page_token, page=path)
    ticked = [n.name for n in newsletters if len(newsletters) == 1 or n.slug in state.selected]
    action = reverse("subscriptions:subscribe")
    return {
        "action": app_settings.SITE_URL.rstrip("/") + action if embed else action,
        "embed": embed,
        "newsletters": newsletters,
        "variant": variant,
        "title": title,
        "state": state,
        "consent_wording": consent.wording(ticked),
        # For subscribe.js, which names the lists in the line as the reader ticks them.
        "consent_named": consent.NAMED,
        "consent_last_of_several": consent.LAST_OF_SEVERAL,
        "consent_unnamed": consent.UNNAMED,
        "honeypot_field": app_settings.SIGNUP_HONEYPOT_FIELD,
        # Only over the per-IP limit: readers under it never load a third party's script.
        "captcha": captcha.provider() if state.captcha else None,
        "captcha_site_key": app_settings.CAPTCHA_SITE_KEY,
    }


def _per_page(context: Context) -> tuple[list[Newsletter], str]:
    """The offered lists and a form token, once per page however many forms it holds."""
    holder: Any = context.get("request") or context
    cached = getattr(holder, "_subscribe_forms", None)
    if cached is None:
        cached = (list(offered_lists()), abuse.make_form_token())
        holder._subscribe_forms = cached
    return cached
