"""A sign-up page for each list offered on public forms: /newsletters/<slug>/, the address
editors give out and the admin's embed code names."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from ..core.catalog import offered_lists
from ..core.signals import newsletter_page
from ..models import Newsletter


# Public and cacheable, like the article page: its form carries no per-visitor token
# (subscribe.js fetches a fresh form token as the page loads).
@cache_control(public=True, max_age=60)
@require_safe
def newsletter(request: HttpRequest, slug: str) -> HttpResponse:
    found = next((n for n in offered_lists() if n.slug == slug), None)
    if found is None:
        raise Http404  # unknown, inactive or not offered: the same answer for each
    # Other apps (the editions archive) add their sections here without this app importing them.
    replies = newsletter_page.send(sender=Newsletter, newsletter=found, request=request)
    sections = [html for _receiver, html in replies if html]
    context = {"newsletter": found, "sections": sections}
    return render(request, "subscriptions/newsletter.html", context)
