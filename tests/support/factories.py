"""Readers made straight in the database, without the sign-up, for tests that need many.

`confirmed_readers` builds each row as the app would have written it (the keys from
validation, the timestamps of a confirmation) and writes thousands with a few bulk INSERTs per
model, where signing each up would take a request, a worker's batch and a confirmation apiece.
Plain model instances, not factory-boy: resolving its declarations took 0.4 ms a reader, two
thirds of the time for 10,000.

What the sign-up writes and these don't: the Consent (a subscription may have none, and one
more model costs a third more time), the Event history and the confirmation email. What they
do keep right: the inboxes the cap and cooldown lock, and the running counts (models.Tally)
that /metrics reads.
"""

from itertools import count

from django.utils import timezone

from subscriptions.core import tally
from subscriptions.guards.validation import address_key, inbox_key
from subscriptions.models import Inbox, Newsletter, Status, Subscriber, Subscription

# Unique addresses across a test run, whatever the tests before made.
_numbers = count()


def new_subscribers(n: int, language: str = "en") -> list[Subscriber]:
    """n subscribers not yet saved, at new addresses, keyed as the app keys them."""
    emails = [f"reader{next(_numbers)}@example.com" for _ in range(n)]
    return [
        Subscriber(email=e, email_key=address_key(e), inbox_key=inbox_key(e), language=language)
        for e in emails
    ]


def confirmed_readers(newsletter: Newsletter, n: int) -> list[Subscription]:
    """n new readers, each confirmed on `newsletter`.

    The query count grows with the batches bulk_create splits into, not with readers: about
    100 rows a statement on SQLite (its 999 parameters), one statement a model on PostgreSQL.
    """
    now = timezone.now()
    readers = new_subscribers(n)
    Inbox.objects.bulk_create(
        (Inbox(key=key) for key in {r.inbox_key for r in readers}), ignore_conflicts=True
    )
    Subscriber.objects.bulk_create(readers)  # sets each row's id, for the rows that follow
    subscriptions = Subscription.objects.bulk_create(
        Subscription(
            subscriber=r,
            newsletter=newsletter,
            status=Status.CONFIRMED,
            pending_at=now,
            confirmed_at=now,
            status_changed_at=now,
        )
        for r in readers
    )
    tally.add({tally.subscriptions(newsletter.pk, Status.CONFIRMED): n})
    return subscriptions
