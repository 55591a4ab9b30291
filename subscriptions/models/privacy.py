"""What stays after a reader is erased: not the address, only a keyed hash of its inbox, so
that nobody can put it back on a list behind their back (an import refuses it)."""

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _


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
