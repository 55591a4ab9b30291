"""What stays after a reader is erased: not the address, only a keyed hash of its inbox, so
that nobody can put it back on a list behind their back (an import refuses it)."""

import hashlib
import hmac
from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..app_settings import app_settings


def inbox_hash(key: str) -> str:
    """The keyed hash that stands for the inbox `key` (an inbox key, not an address as typed)
    once its owner is erased: HMAC-SHA256 under ERASURE_HASH_KEY. Here, beside the models
    that store it, so a lookup of an inbox's suppression can check it too."""
    secret = app_settings.ERASURE_HASH_KEY
    if not secret:
        raise ImproperlyConfigured("ERASURE_HASH_KEY is not set.")
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


def inbox_hashes(keys: Iterable[str]) -> dict[str, str]:
    """Each inbox key by its hash; none without ERASURE_HASH_KEY, when nothing was hashed."""
    if not app_settings.ERASURE_HASH_KEY:
        return {}
    return {inbox_hash(key): key for key in keys}


class ErasedInboxQuerySet(models.QuerySet):
    def among(self, hashes: Iterable[str]) -> set[str]:
        """The hashes among `hashes` that belong to an erased inbox."""
        return set(self.filter(key_hash__in=list(hashes)).values_list("key_hash", flat=True))


class ErasedInbox(models.Model):
    """An inbox whose owner had their data erased (GDPR Art. 17). The hash (erasure.inbox_hash)
    is keyed with ERASURE_HASH_KEY, so the table can't be checked against a list of addresses
    without that key; the row goes when the person signs up and confirms again themselves."""

    key_hash = models.CharField(_("inbox hash"), max_length=64, unique=True)
    erased_at = models.DateTimeField(_("erased at"))
    erased_by = models.CharField(_("erased by"), max_length=200)

    objects = ErasedInboxQuerySet.as_manager()

    class Meta:
        ordering = ["-erased_at"]
        verbose_name = _("erased inbox")
        verbose_name_plural = _("erased inboxes")

    def __str__(self) -> str:
        return f"{self.key_hash[:12]}… ({self.erased_at:%Y-%m-%d})"
