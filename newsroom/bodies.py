"""What a request may carry as a body, on every path: small, in UTF-8, with no files.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE doesn't count file parts, so a sign-up POST, or an
unauthenticated one to the admin's login page, could carry a 200 MB file, which Django wrote to a
temporary file before the view saw it. And Django decodes form fields leniently: undecodable
bytes become U+FFFD, and a `charset=utf-16` body could end in a 500 (on the admin, the 400
page's CSRF decorator read the body a second time).

Each kind of path has its limit: reader pages READER_MAX_BODY, the admin ADMIN_MAX_BODY, both
with the same rules. Provider webhooks (/anymail/) get WEBHOOK_MAX_BODY, and their body is left
to anymail (in memory, so capped; its auth and signature checks refuse a stranger's): providers
send JSON, and inbound mail may come in other charsets, with attachments. Files are accepted
only by the views named in UPLOAD_VIEWS (the CSV import will be one), up to UPLOAD_MAX_BODY:
the one way to let a page take a file.

Everything here runs before anything reads the body, and refuses by Content-Length first, so a
large body is never read at all.
"""

from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext_lazy as _

from subscriptions.app_settings import app_settings

URLENCODED = "application/x-www-form-urlencoded"
FORM_TYPES = frozenset({URLENCODED, "multipart/form-data"})
UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})

TOO_LARGE = _("That is more than this page accepts. Please go back and try again.")
NO_FILES = _("Files can't be sent here.")
UNREADABLE = _("Your browser sent something we couldn't read. Please go back and try again.")


@dataclass(frozen=True)
class Rules:
    max_body: int
    files: bool = False  # file parts accepted (a view in UPLOAD_VIEWS)
    forms_checked: bool = True  # a form body is parsed here and refused unless UTF-8


def rules_for(request: HttpRequest) -> Rules | None:
    """This request's rules, or None for a path no view answers (nothing reads its body)."""
    match = request.resolver_match
    if match is None:
        return None
    if match.view_name in app_settings.UPLOAD_VIEWS:
        return Rules(app_settings.UPLOAD_MAX_BODY, files=True)
    if "anymail" in match.namespaces:
        return Rules(app_settings.WEBHOOK_MAX_BODY, forms_checked=False)
    if "admin" in match.namespaces:
        return Rules(app_settings.ADMIN_MAX_BODY)
    return Rules(app_settings.READER_MAX_BODY)


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    reason: str  # for the log line


def refusal(request: HttpRequest, rules: Rules) -> Refusal | None:
    """Why this request's body is refused, or None; the body is parsed only when small."""
    if request.method not in METHODS_WITH_BODY:
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return Refusal(400, str(UNREADABLE), "content_length")
    if length < 0:
        return Refusal(400, str(UNREADABLE), "content_length")
    if length > rules.max_body:
        return Refusal(413, str(TOO_LARGE), "too_large")
    if not rules.files:
        # Whatever reads this body, it holds it in memory (it is small): no part is spooled.
        request.upload_handlers = [MemoryFileUploadHandler(request)]
    if not rules.forms_checked or length == 0 or request.content_type not in FORM_TYPES:
        return None  # Django parses only forms; any other body is never read
    charset = (request.content_params or {}).get("charset", "utf-8").strip().lower()
    if charset not in UTF8_NAMES:
        return Refusal(415, str(UNREADABLE), "charset")
    return _parse(request, rules)


def _parse(request: HttpRequest, rules: Rules) -> Refusal | None:
    # Parsed here, so a view and the CSRF check read the same fields, and a bad body is
    # refused here instead of failing in whatever reads it first (or in the 400 page again).
    text = ""
    try:
        if not (rules.files and request.content_type != URLENCODED):
            # Raw bytes, and every multipart field; an upload's file may be in any encoding.
            text = request.body.decode("utf-8")
        if request.content_type == URLENCODED:
            # Percent-escapes must decode too: Django would turn %FF into U+FFFD.
            parse_qsl(text, keep_blank_values=True, errors="strict")
        files = request.FILES
    except (UnicodeDecodeError, MultiPartParserError, ValueError):
        return Refusal(400, str(UNREADABLE), "undecodable")
    except (RequestDataTooBig, SuspiciousOperation):
        return Refusal(413, str(TOO_LARGE), "too_many_fields")
    if files and not rules.files:
        return Refusal(400, str(NO_FILES), "file_part")
    if "\ufffd" not in text and _replaced(request):
        # A part Django decoded itself (Content-Transfer-Encoding: base64, or any field of an
        # upload's form) wasn't UTF-8.
        return Refusal(400, str(UNREADABLE), "undecodable")
    return None


def _replaced(request: HttpRequest) -> bool:
    return any(
        "\ufffd" in key or any("\ufffd" in value for value in values)
        for key, values in request.POST.lists()
    )
