"""One email's HTML part as a page of its own, to be seen in a frame as a reader sees it.

The dev mailbox frames every email it holds with it; an edition's preview in the admin is meant
to answer with it too. Only this response gets the email's policy: every other page keeps the
strict CSP of newsroom/settings.py (no inline style, frame-ancestors 'none', X-Frame-Options
DENY). A frame with `srcdoc` can't take its place: it would run under the framing page's CSP,
which forbids the inline styles every email is made of.
"""

import re

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin

# What an email needs and nothing more: its inline styles, and images over https (a logo, an
# edition's pictures) or from this site. default-src 'none' leaves no script, font, frame or
# fetch; the sandbox (no allow-scripts, no allow-same-origin, no allow-forms) holds even if a
# browser ignores a directive, and even when the page is opened on its own rather than framed.
# Popups may escape it so that a link opens a normal tab (below).
EMAIL_PAGE_CSP = {
    "default-src": [NONE],
    "style-src": [UNSAFE_INLINE],
    "img-src": [SELF, "https:", "data:"],
    "form-action": [NONE],
    "base-uri": [NONE],
    "frame-ancestors": [SELF],
    "sandbox": ["allow-popups", "allow-popups-to-escape-sandbox"],
}

# Our own pages (the confirmation page first) refuse to be framed, so a link followed inside
# the frame would show an error instead of the page: links open a new tab, as they do from a
# webmail. A <base> with no href changes no URL (base-uri governs only href).
_LINKS_IN_A_NEW_TAB = '<base target="_blank">'
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_HTML = re.compile(r"<html\b[^>]*>", re.IGNORECASE)


# never_cache: an email holds its reader's link tokens (confirmation, unsubscribe).
@method_decorator(never_cache, name="get")
@method_decorator(xframe_options_sameorigin, name="get")
@method_decorator(csp(EMAIL_PAGE_CSP), name="get")
class EmailPageView(View):
    """Answers an email's whole HTML part as its reader sees it, under EMAIL_PAGE_CSP.

    A subclass says which email: get_email_html, after deciding the user may see it (else it
    raises Http404 or PermissionDenied, and the answer gets the strict headers as usual).
    """

    http_method_names = ["get", "head"]

    def get_email_html(self) -> str:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        html = _links_in_a_new_tab(self.get_email_html())
        return HttpResponse(html, content_type="text/html; charset=utf-8")


def _links_in_a_new_tab(html: str) -> str:
    # Where the HTML parser puts a <base> without a parse error: first in <head>, or as the
    # start of an implied <head> right after <html>.
    for tag in (_HEAD, _HTML):
        found = tag.search(html)
        if found:
            return html[: found.end()] + _LINKS_IN_A_NEW_TAB + html[found.end() :]
    return _LINKS_IN_A_NEW_TAB + html
