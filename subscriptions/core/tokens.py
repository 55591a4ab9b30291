"""Signed, expiring, single-purpose link tokens, in the manner of allauth's EmailConfirmationHMAC.

A token carries a row id, never the address, and its salt names its purpose, so an
unsubscribe token can't confirm and a confirm token can't unsubscribe.
"""

from dataclasses import dataclass

from django.core import signing

from ..app_settings import app_settings

CONFIRM = "subscriptions.confirm"
UNSUBSCRIBE = "subscriptions.unsubscribe"
PREFERENCES = "subscriptions.preferences"
DATA_EXPORT = "subscriptions.data-export"


@dataclass(frozen=True)
class TokenCheck:
    object_id: int | None  # None when the signature is bad
    expired: bool = False

    @property
    def valid(self) -> bool:
        return self.object_id is not None and not self.expired


def make_confirm_token(email_id: int) -> str:
    return signing.dumps({"r": email_id}, salt=CONFIRM)


def make_unsubscribe_token(subscription_id: int) -> str:
    return signing.dumps({"s": subscription_id}, salt=UNSUBSCRIBE)


def make_preferences_token(subscriber_id: int) -> str:
    return signing.dumps({"m": subscriber_id}, salt=PREFERENCES)


def make_data_export_token(email_id: int) -> str:
    return signing.dumps({"x": email_id}, salt=DATA_EXPORT)


def check_confirm_token(token: str) -> TokenCheck:
    return _check(token, CONFIRM, "r", app_settings.CONFIRMATION_MAX_AGE)


def check_unsubscribe_token(token: str) -> TokenCheck:
    # Never expires: a link in any email ever sent must still work (RFC 8058; GDPR Art. 7(3)).
    return _check(token, UNSUBSCRIBE, "s", None)


def check_preferences_token(token: str) -> TokenCheck:
    # Never expires, like the unsubscribe link beside it in every list email.
    return _check(token, PREFERENCES, "m", None)


def check_data_export_token(token: str) -> TokenCheck:
    # A day: the link opens a reader's whole record, and it can be asked for again.
    return _check(token, DATA_EXPORT, "x", app_settings.DATA_EXPORT_LINK_MAX_AGE)


def _check(token: str, salt: str, key: str, max_age: int | None) -> TokenCheck:
    expired = False
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        # Genuine but old: the id still lets us offer a fresh link.
        payload, expired = signing.loads(token, salt=salt), True
    except signing.BadSignature:
        return TokenCheck(None)
    if not isinstance(payload, dict) or not isinstance(payload.get(key), int):
        return TokenCheck(None)
    return TokenCheck(payload[key], expired)


# An editor's test of list mail carries these in place of a reader's unsubscribe and
# preference tokens: they name the list and which link it was, and the page they lead to
# says it was a test and changes nothing.
TEST_LINK = "subscriptions.test-link"
UNSUBSCRIBE_LINK = "unsubscribe"
PREFERENCES_LINK = "preferences"
TEST_LINKS = (UNSUBSCRIBE_LINK, PREFERENCES_LINK)


def make_test_link_token(newsletter_id: int, link: str) -> str:
    return signing.dumps({"t": newsletter_id, "l": link}, salt=TEST_LINK)


def check_test_link_token(token: str) -> tuple[int, str] | None:
    """The list and the link of a test email's token; None for any other token."""
    try:
        payload = signing.loads(token, salt=TEST_LINK)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), int):
        return None
    link = payload.get("l")
    return (payload["t"], link) if link in TEST_LINKS else None
