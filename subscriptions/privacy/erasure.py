"""Erasure that sticks: the keyed hash by which an erased inbox is recognised, and the check an
import runs before it adds anyone.

The hash is HMAC-SHA256 of the inbox key (validation.inbox_key, so every spelling of the
address is caught) under ERASURE_HASH_KEY. That key is its own setting, not SECRET_KEY:
rotating SECRET_KEY revokes links, and must not quietly forget whom we erased.
"""

from collections.abc import Iterable

from ..guards.validation import inbox_key
from ..models import ErasedInbox, inbox_hash

__all__ = ["address_hash", "erased_addresses", "inbox_hash"]


def address_hash(address: str) -> str:
    """The hash of the inbox a (normalised) address reaches, whatever its spelling."""
    return inbox_hash(inbox_key(address))


def erased_addresses(addresses: Iterable[str]) -> set[str]:
    """The addresses among `addresses` whose inbox was erased: an import must refuse them.
    Addresses are normalised ones (validation.normalize_email)."""
    hashes = {address: address_hash(address) for address in addresses}
    erased = ErasedInbox.objects.among(hashes.values())
    return {address for address, digest in hashes.items() if digest in erased}
