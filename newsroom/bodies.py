"""What a reader-facing page accepts as a request body: a small form, in UTF-8, with no files.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE doesn't count file parts, so a sign-up POST could carry a
200 MB file, which Django wrote to a temporary file before the view saw it. And Django decodes
form fields leniently: undecodable bytes become U+FFFD, and a `charset=utf-16` body could end in
a 500. Reader pages need none of that; the admin and provider webhooks have larger needs of
their own, so they keep Django's rules.

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

# URL namespaces with their own rules: admin uploads, provider webhooks.
EXEMPT_NAMESPACES = frozenset({"admin", "anymail"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})

TOO_LARGE = _("That is more than this page accepts. Please go back and try again.")
NO_FILES = _("Files can't be sent here.")
UNREADABLE = _("Your browser sent something we couldn't read. Please go back and try again.")


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    reason: str  # for the log line


def applies_to(request: HttpRequest) -> bool:
    match = request.resolver_match
    return match is not None and not (set(match.namespaces) & EXEMPT_NAMESPACES)


def refusal(request: HttpRequest) -> Refusal | None:
    """Why this request's body is refused, or None; the body is parsed only when small."""
    if request.method not in METHODS_WITH_BODY:
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return Refusal(400, str(UNREADABLE), "content_length")
    if length < 0:
        return Refusal(400, str(UNREADABLE), "content_length")
    if length > app_settings.READER_MAX_BODY:
        return Refusal(413, str(TOO_LARGE), "too_large")
    if length == 0 or request.content_type not in FORM_TYPES:
        return None  # Django parses only forms; any other body is never read
    charset = (request.content_params or {}).get("charset", "utf-8").strip().lower()
    if charset not in UTF8_NAMES:
        return Refusal(415, str(UNREADABLE), "charset")
    return _parse(request)


def _parse(request: HttpRequest) -> Refusal | None:
    # Parsed here, in memory (the body is small), so a view and the CSRF check read the same
    # fields, and no upload handler can spool a part to disk.
    request.upload_handlers = [MemoryFileUploadHandler(request)]
    try:
        text = request.body.decode("utf-8")  # raw bytes, and every multipart field
        if request.content_type == "application/x-www-form-urlencoded":
            # Percent-escapes must decode too: Django would turn %FF into U+FFFD.
            parse_qsl(text, keep_blank_values=True, errors="strict")
        files = request.FILES
    except (UnicodeDecodeError, MultiPartParserError, ValueError):
        return Refusal(400, str(UNREADABLE), "undecodable")
    except (RequestDataTooBig, SuspiciousOperation):
        return Refusal(413, str(TOO_LARGE), "too_many_fields")
    if files:
        return Refusal(400, str(NO_FILES), "file_part")
    if "\ufffd" not in text and _replaced(request):
        # A part Django decoded itself (Content-Transfer-Encoding: base64) wasn't UTF-8.
        return Refusal(400, str(UNREADABLE), "undecodable")
    return None


def _replaced(request: HttpRequest) -> bool:
    return any(
        "\ufffd" in key or any("\ufffd" in value for value in values)
        for key, values in request.POST.lists()
    )
