"""The registry of kinds of queued email: each kind declared once, read by everything that
handles every kind.

A kind is a concrete models.OutboxItem, a Kind declaring what is particular to it, and a
migration. The sender (delivery.py, tasks.py), /metrics (scrape.py), the reader's data
document (personal_data.py), the refusal flow (services.record_refused) and the admin's
records (admin/records.py) go through `declared()`, never through a list of their own. The
app's own kinds are declared in builtin_kinds.py and registered from its AppConfig.ready();
another app (editions) registers its kind from its own ready(), so this app never imports it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from anymail.message import AnymailMessage
from django.db.models import QuerySet, prefetch_related_objects

from ..models import OutboxItem, Subscriber, Subscription


@dataclass(frozen=True)
class Kind:
    # Its rows. The model's metric_kind is the kind's one name: its label in /metrics, its
    # log lines (event=<name>.<outcome>), the reader's data document, and its queue.
    model: type[OutboxItem]
    # Whose inbox each row is for: the path from a row to its Subscriber ("subscriber",
    # "subscription__subscriber"). The suppression check, the reader's data document and the
    # admin's search follow it.
    reader: str
    # The messages of claimed rows, by id, each in its reader's language; None where nothing
    # is left to send.
    compose: Callable[[list[Any]], dict[int, AnymailMessage | None]]
    # What a refused address (or a retry given up) means for a row: the subscriptions it
    # makes undeliverable (none, for a kind no subscription hangs on).
    refused: Callable[[Any], QuerySet[Subscription]]
    # Related rows the admin's list shows with each row (select_related).
    admin_related: tuple[str, ...] = ()
    # Its emails a second at most, across every worker and host, read at each batch (a
    # setting may change); 0 or no function: as fast as the workers go (delivery.py).
    rate: Callable[[], int] | None = None
    # Composes readers of one batch into one provider call where the provider can
    # (sending/listbatch.py): the sender then claims a batch's worth of rows at a time.
    batched: bool = False

    @property
    def name(self) -> str:
        return self.model.metric_kind

    @property
    def queue(self) -> str:
        # newsroom/celery.py routes send_due_of(name) to the queue of that name.
        return self.name

    def rows_of(self, subscriber: Subscriber) -> QuerySet[Any]:
        """Every row for this reader: what their data document lists."""
        return self.model.objects.filter(**{self.reader: subscriber})

    def addresses(self, rows: list[Any]) -> dict[int, tuple[str, str]]:
        """The inbox key (models.Inbox) and address key of each row's reader, by id: a
        suppression reaches a whole inbox or one spelling of it."""
        prefetch_related_objects(rows, self.reader)
        reader_of = attrgetter(self.reader.replace("__", "."))
        return {row.pk: (reader_of(row).inbox_key, reader_of(row).email_key) for row in rows}


_declared: dict[str, Kind] = {}
# Called with each kind as it is declared (and every kind declared before): how the admin
# shows a kind whatever order the apps get ready in.
_listeners: list[Callable[[Kind], None]] = []


def register(*kinds: Kind) -> None:
    """Declare kinds; the order they are declared in is the order every kind is sent in."""
    for kind in kinds:
        if _declared.get(kind.name, kind) != kind:
            raise ValueError(f"Another kind of email is already named {kind.name!r}.")
        _declared[kind.name] = kind
        for listener in _listeners:
            listener(kind)


def unregister(kind: Kind) -> None:
    """Forget a kind (a test's throwaway one)."""
    if _declared.get(kind.name) == kind:
        del _declared[kind.name]


def on_each(listener: Callable[[Kind], None]) -> None:
    """Call `listener` with every kind declared so far, and with each one declared later."""
    for kind in declared():
        listener(kind)
    _listeners.append(listener)


def declared() -> tuple[Kind, ...]:
    return tuple(_declared.values())


def named(name: str) -> Kind:
    """The kind of that name (a send_due_of task's argument); KeyError if none is declared."""
    return _declared[name]


def of(model: type[OutboxItem]) -> Kind:
    """The kind whose rows `model` holds."""
    return _declared[model.metric_kind]
