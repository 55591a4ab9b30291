"""'Did you mean …@gmail.com?' for common domain typos, asked before anything is recorded.

The reader takes the suggestion or keeps what they typed; nothing is refused. difflib from the
standard library does the fuzzy match; the list is the mailbox providers our readers use
most. static/js/subscribe.js asks the same question before it sends anything: it gets this
list with the form token and counts matches as difflib does (a browser test compares the two).
"""

from difflib import get_close_matches
from functools import lru_cache

COMMON_DOMAINS = [
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "hotmail.com",
    "hotmail.co.uk",
    "outlook.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.com",
    "ukr.net",
    "i.ua",
    "meta.ua",
    "zoho.com",
    "fastmail.com",
    "yandex.com",
]


def suggest(email: str) -> str | None:
    local, _, domain = email.rpartition("@")
    corrected = _closest(domain.lower())
    return f"{local}@{corrected}" if local and corrected else None


@lru_cache(maxsize=4096)
def _closest(domain: str) -> str | None:
    # Cached: the fuzzy match costs about as much as the rest of a sign-up's checks, and
    # readers' domains repeat.
    # A common domain, or a subdomain of one (Fastmail gives each user one: x@bob.fastmail.com
    # is no slip for x@fastmail.com), is what the reader meant.
    if domain in COMMON_DOMAINS or domain.endswith(tuple(f".{d}" for d in COMMON_DOMAINS)):
        return None
    match = get_close_matches(domain, COMMON_DOMAINS, n=1, cutoff=0.8)
    return match[0] if match else None
