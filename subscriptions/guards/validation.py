"""Address validation and normalisation, delegated to email-validator (RFC syntax, IDNA)."""

import re

from email_validator import EmailNotValidError, validate_email

from ..app_settings import app_settings
from . import mailbox_providers

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
            # RFC 5321's 64 characters before the @: a longer local part is no mailbox, and
            # "victim+<70 characters>" would only serve to reach victim's inbox key.
            strict=True,
        )
    except EmailNotValidError as exc:
        raise InvalidEmail from exc
    normalized = f"{info.local_part}@{info.ascii_domain}"
    if len(normalized) > MAX_EMAIL_LENGTH:
        raise InvalidEmail
    return normalized


def address_key(email: str) -> str:
    """The key that makes two spellings one subscriber: the address case-folded in Python, so
    both databases agree (SQLite's LOWER() folds ASCII only)."""
    return email.casefold()


def inbox_key(email: str) -> str:
    """The inbox an address reaches, for counting what is sent to it (the daily cap, the
    cooldown): without a +tag, which most providers deliver to the untagged inbox, and as the
    providers that document more fold it (mailbox_providers: Gmail's dots, Fastmail's
    subdomain addressing). Never used to send: readers get mail at what they typed."""
    local, _, domain = address_key(email).rpartition("@")
    local = local.split("+", 1)[0] or local
    local, domain = mailbox_providers.fold(local, domain)
    return f"{local}@{domain}"


def delivers_every_spelling(email: str) -> bool:
    """Whether the address's provider is known to deliver every spelling its inbox key folds
    (case, +tag, Gmail's dots) to one mailbox, so that what one spelling's mailbox does (a
    hard bounce) is what the inbox does. Elsewhere "+" may be no subaddressing at all:
    bob+nosuchbox@example.com can be a mailbox of its own, which doesn't exist."""
    return mailbox_providers.delivers_every_spelling(address_key(email).rpartition("@")[2])
