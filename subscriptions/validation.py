"""Address validation and normalisation, delegated to email-validator (RFC syntax, IDNA)."""

import re

from email_validator import EmailNotValidError, validate_email

from .app_settings import app_settings

MAX_EMAIL_LENGTH = 254  # RFC 5321 forward-path limit, less the angle brackets
# CR/LF would let an address smuggle headers; any control character is malformed.
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class InvalidEmail(ValueError):
    pass


def printable(raw: str, limit: int) -> str:
    """`raw` without control characters, cut to `limit`: what may be shown back to a reader."""
    return _CONTROL_CHARS.sub("", raw)[:limit]


def normalize_email(raw: str) -> str:
    """Return the address trimmed, with the domain lower-cased and IDNA-encoded.

    The local part keeps its case: RFC 5321 lets a mailbox be case-sensitive, so we send to
    what the reader typed, and compare case-insensitively only to find duplicates.
    """
    if not isinstance(raw, str) or _CONTROL_CHARS.search(raw):
        raise InvalidEmail
    value = raw.strip()
    if not value or len(value) > MAX_EMAIL_LENGTH:
        raise InvalidEmail
    try:
        info = validate_email(
            value,
            check_deliverability=app_settings.EMAIL_CHECK_DELIVERABILITY,
            # A non-ASCII local part (a Cyrillic lookalike of "a" in "admin", say) needs SMTPUTF8
            # all the way to the inbox: most providers can't send it, and lookalikes love it.
            allow_smtputf8=app_settings.ALLOW_SMTPUTF8,
        )
    except EmailNotValidError as exc:
        raise InvalidEmail from exc
    normalized = f"{info.local_part}@{info.ascii_domain}"
    if len(normalized) > MAX_EMAIL_LENGTH:
        raise InvalidEmail
    return normalized
