"""Readers' pages of editions: "View in browser", whose address every edition's email carries
in its footer from the first test on. It shows an edition once it has been sent; before that
the answer is the same 404 as for an edition that doesn't exist."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from .body import render as render_body
from .models import Edition, EditionStatus


@require_safe
def web_version(request: HttpRequest, pk: int) -> HttpResponse:
    edition = (
        Edition.objects.select_related("newsletter")
        .filter(pk=pk, status=EditionStatus.SENT)
        .first()
    )
    if edition is None:
        raise Http404
    body = mark_safe(render_body(edition.body).html)  # noqa: S308 (sanitised by nh3)
    return render(request, "editions/web_version.html", {"edition": edition, "body": body})
