"""Where the links of an editor's test email lead (listmail.tester): a page saying it was a
test, for a click and for a mailbox's one-click POST alike. Nothing changes: the token names a
list and which link it was, no reader and no subscription."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..core.tokens import UNSUBSCRIBE_LINK, check_test_link_token
from ..models import Newsletter


@csrf_exempt  # a mailbox provider's RFC 8058 POST comes with no cookie: it is answered alike
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def test_link(request: HttpRequest, token: str) -> HttpResponse:
    found = check_test_link_token(token)
    newsletter = found and Newsletter.objects.filter(pk=found[0]).first()
    if not found or newsletter is None:
        return render(request, "subscriptions/link_invalid.html", status=400)
    context = {"newsletter": newsletter, "unsubscribe": found[1] == UNSUBSCRIBE_LINK}
    return render(request, "subscriptions/test_link.html", context)
