"""The admin's "Recent actions" without the addresses of deleted subscribers: `scrub` for one
(erasure), AddressIndex for the thousands a retention run deletes. The entries stay, so who
changed what and when is still on record.

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
from django.db.models import Q, Value
from django.db.models.functions import Concat

from .models import Subscriber, Subscription

# An address as a log names it (normalised: ASCII, or Unicode letters with SMTPUTF8), ending
# where a repr's arrow, a space or JSON's quote begins.
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def scrub(subscriber: Subscriber) -> None:
    """One subscriber's entries (erasure, from the admin): the few whose text holds the
    address, found by the database, then replaced where the address stands whole."""
    naming = Q(object_repr__icontains=subscriber.email) | Q(
        change_message__icontains=subscriber.email
    )
    _scrub_own([subscriber])
    _scrub_entries(set(LogEntry.objects.filter(naming).values_list("pk", flat=True)), subscriber)


class AddressIndex:
    """Which log entries name each address (case-folded), kept up to date as it is used."""

    def __init__(self) -> None:
        self._after = 0
        self._naming: defaultdict[str, set[int]] = defaultdict(set)

    def scrub(self, subscribers: Sequence[Subscriber]) -> None:
        """As scrub_admin_log for each of `subscribers`, in the caller's transaction, before
        they are deleted: entries about them, or naming them, keep who did what and when."""
        self._catch_up()
        _scrub_own(subscribers)
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


def _scrub_own(subscribers: Sequence[Subscriber]) -> None:
    """The entries about the subscribers themselves and about their subscriptions (erasure
    deletes those with them), whatever their text says."""
    types = ContentType.objects.get_for_models(Subscriber, Subscription)
    LogEntry.objects.filter(
        content_type=types[Subscriber], object_id__in=[str(s.pk) for s in subscribers]
    ).update(object_repr=Concat(Value("erased subscriber #"), "object_id"))
    owned = Subscription.objects.filter(subscriber__in=subscribers).values_list(
        "subscriber_id", "pk"
    )
    theirs: defaultdict[int, list[str]] = defaultdict(list)
    for subscriber_id, pk in owned:
        theirs[subscriber_id].append(str(pk))
    for subscriber_id, ids in theirs.items():
        LogEntry.objects.filter(content_type=types[Subscription], object_id__in=ids).update(
            object_repr=f"erased subscriber #{subscriber_id}"
        )


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
