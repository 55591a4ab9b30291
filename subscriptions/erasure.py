"""Erasure that sticks: the keyed hash by which an erased inbox is recognised, and the check an
import runs before it adds anyone.

The hash is HMAC-SHA256 of the inbox key (validation.inbox_key, so every spelling of the
address is caught) under ERASURE_HASH_KEY. That key is its own setting, not SECRET_KEY:
rotating SECRET_KEY revokes links, and must not quietly forget whom we erased.
"""

import hashlib
import hmac
from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured

from .app_settings import app_settings
from .models import ErasedInbox
from .validation import inbox_key


def inbox_hash(key: str) -> str:
    """The hash stored for the inbox `key` (an inbox key, not an address as typed)."""
    secret = app_settings.ERASURE_HASH_KEY
    if not secret:
        raise ImproperlyConfigured("ERASURE_HASH_KEY is not set.")
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


def address_hash(address: str) -> str:
    """The hash of the inbox a (normalised) address reaches, whatever its spelling."""
    return inbox_hash(inbox_key(address))


def erased_addresses(addresses: Iterable[str]) -> set[str]:
    """The addresses among `addresses` whose inbox was erased: an import must refuse them.
    Addresses are normalised ones (validation.normalize_email)."""
    hashes = {address: address_hash(address) for address in addresses}
    erased = ErasedInbox.objects.among(hashes.values())
    return {address for address, digest in hashes.items() if digest in erased}
