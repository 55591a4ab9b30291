"""The admin's "Recent actions" without the addresses of deleted subscribers (erasure and
retention). The entries stay, so who changed what and when is still on record.

LogEntry keeps each object's name (an address, for a subscriber or a subscription) and change
messages that name inline rows. Two LIKE scans of the whole log per subscriber took 10 ms each
against a 20,000-entry log, and retention deletes thousands a run (after a bot flood, a
million); a LIKE also took reopened@ for opened@. AddressIndex reads the log once per run,
then only the entries added since, and finds each address, whole, in memory.
"""

import re
from collections import defaultdict
from collections.abc import Sequence

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Value
from django.db.models.functions import Concat

from .models import Subscriber, Subscription

# An address as a log names it (normalised: ASCII, or Unicode letters with SMTPUTF8), ending
# where a repr's arrow, a space or JSON's quote begins.
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


class AddressIndex:
    """Which log entries name each address (case-folded), kept up to date as it is used."""

    def __init__(self) -> None:
        self._after = 0
        self._naming: defaultdict[str, set[int]] = defaultdict(set)

    def scrub(self, subscribers: Sequence[Subscriber]) -> None:
        """As scrub_admin_log for each of `subscribers`, in the caller's transaction, before
        they are deleted: entries about them, or naming them, keep who did what and when."""
        self._catch_up()
        types = ContentType.objects.get_for_models(Subscriber, Subscription)
        LogEntry.objects.filter(
            content_type=types[Subscriber], object_id__in=[str(s.pk) for s in subscribers]
        ).update(object_repr=Concat(Value("erased subscriber #"), "object_id"))
        # Entries about their subscriptions (erasure deletes them with the subscriber).
        owners = Subscription.objects.filter(subscriber__in=subscribers)
        owner = {str(pk): by for pk, by in owners.values_list("pk", "subscriber_id")}
        about = LogEntry.objects.filter(content_type=types[Subscription], object_id__in=owner)
        for pk, object_id in about.values_list("pk", "object_id"):
            erased = f"erased subscriber #{owner[object_id]}"
            LogEntry.objects.filter(pk=pk).update(object_repr=erased)
        for subscriber in subscribers:
            naming = self._naming.get(subscriber.email.casefold())
            if naming:
                _scrub_entries(naming, subscriber)

    def _catch_up(self) -> None:
        # By primary key: an entry written while the run goes on is read at the next chunk.
        added = LogEntry.objects.filter(pk__gt=self._after).order_by("pk")
        rows = added.values_list("pk", "object_repr", "change_message")
        for pk, name, message in rows.iterator(chunk_size=2000):
            for address in _ADDRESS.findall(f"{name}\n{message}"):
                self._naming[address.casefold()].add(pk)
            self._after = pk


def _scrub_entries(pks: set[int], subscriber: Subscriber) -> None:
    """Replace the address where it stands whole: not inside a longer one that contains it
    (reopened@ holds opened@), which a LIKE would take too."""
    whole = re.compile(
        rf"(?<![\w.!#$%&'*+/=?^`{{|}}~-]){re.escape(subscriber.email)}(?![\w-]|\.[\w-])",
        re.IGNORECASE,
    )
    erased = f"erased subscriber #{subscriber.pk}"
    for entry in LogEntry.objects.filter(pk__in=pks).only("object_repr", "change_message"):
        name = erased if whole.search(entry.object_repr) else entry.object_repr
        message = whole.sub(erased, entry.change_message)
        if (name, message) != (entry.object_repr, entry.change_message):
            entry.object_repr, entry.change_message = name, message
            entry.save(update_fields=["object_repr", "change_message"])
