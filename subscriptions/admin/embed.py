"""The embed code on a list's admin page: its sign-up page's address, the template tag for
Django templates, and an HTML snippet for pages on other sites, so an editor can put a new
list on a page without a developer."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ..app_settings import app_settings
from ..models import Newsletter


def embed_code(newsletter: Newsletter) -> SafeString:
    if newsletter.pk is None:
        return format_html("{}", _("Save the list to get its page and its embed code."))
    if not (newsletter.is_active and newsletter.is_public):
        return format_html(
            "{}",
            _(
                "This list is not offered on public forms (it is inactive or not public): its "
                "page answers 404 and its forms show nothing until it is."
            ),
        )
    site = app_settings.SITE_URL.rstrip("/")
    context = {
        "newsletter": newsletter,
        "page_url": site + reverse("subscriptions:newsletter", args=[newsletter.slug]),
        "tag": f'{{% load subscriptions %}}\n{{% subscribe_form "{newsletter.slug}" '
        f'form_id="{newsletter.slug}" %}}',
        "snippet": _snippet(newsletter, site),
        "partner_origins": app_settings.PARTNER_ORIGINS,
    }
    return SafeString(render_to_string("subscriptions/admin/embed_code.html", context))


def _snippet(newsletter: Newsletter, site: str) -> str:
    # The script's own name, not the hashed one collectstatic also writes: a partner's page
    # keeps the snippet for years, and whitenoise serves this name with a short cache.
    script = f"{site}/{settings.STATIC_URL.strip('/')}/js/subscribe.js"
    context = {"newsletter": newsletter, "script": script}
    return render_to_string("subscriptions/embed_snippet.html", context).strip()
