# Issue 23: the admin log names no address. Subscribers, their subscriptions and consents,
# inboxes and suppressions are now named by number (models.subscriber_label), so the entries
# the admin writes from now on hold no address, and neither erasure nor retention has to scan
# the log for one. This rewrites the entries written before: their object names, and the
# change messages that name inline rows (a subscriber's subscriptions).
#
# An address stands for its subscriber: the one it belongs to, else the entry's own (the
# subscriber it is about, or the owner of its subscription or consent), else "erased
# subscriber" (whoever it was is gone). The names are English, as they are written here,
# outside any request; and copied, as they were when this migration was written.

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.db import migrations
from django.db.models import Q

# An address as the log names it (normalised: ASCII, or Unicode letters with SMTPUTF8).
ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# Models whose name was the address or key itself, and those whose name held their
# subscriber's address (what their entries' content types are called).
WHOLE = ("subscriber", "inbox", "suppression")
HOLDING = ("subscription", "consent")
REASONS = {
    "hard_bounce": "Hard bounce",
    "complaint": "Spam complaint",
    "soft_bounces": "Repeated soft bounces",
}
BATCH = 1000


def forwards(apps: Any, schema_editor: Any) -> None:
    LogEntry = apps.get_model("admin", "LogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = dict(
        ContentType.objects.filter(
            app_label="subscriptions", model__in=[*WHOLE, *HOLDING]
        ).values_list("pk", "model")
    )
    naming = Q(object_repr__contains="@") | Q(change_message__contains="@")
    entries = LogEntry.objects.filter(naming, content_type__in=list(types)).order_by("pk")
    entries = entries.only("object_repr", "change_message", "content_type", "object_id")
    # By primary key, a batch at a time: no cursor stays open over rows being rewritten.
    after = 0
    while batch := list(entries.filter(pk__gt=after)[:BATCH]):
        _rewrite(apps, batch, types)
        after = batch[-1].pk


def _rewrite(apps: Any, entries: list[Any], types: dict[int, str]) -> None:
    owners = _owners(apps, entries, types)
    found = _subscribers_named(apps, entries)
    for entry in entries:
        owner = owners.get(entry.pk)

        def label(match: re.Match[str], owner: int | None = owner) -> str:
            pk = found.get(match.group().casefold(), owner)
            return f"subscriber #{pk}" if pk is not None else "erased subscriber"

        if "@" in entry.object_repr:
            entry.object_repr = _name(types[entry.content_type_id], entry, label)[:200]
        entry.change_message = _scrubbed_message(entry.change_message, label)
    apps.get_model("admin", "LogEntry").objects.bulk_update(
        entries, ["object_repr", "change_message"]
    )


def _name(model: str, entry: Any, label: Callable[[re.Match[str]], str]) -> str:
    """The entry's object as the model's __str__ names it now."""
    if model == "subscriber":
        return f"subscriber #{entry.object_id}"
    if model == "inbox":
        return f"inbox #{entry.object_id}"
    if model == "suppression":
        reason = re.search(r" \((\w+)\)$", entry.object_repr)
        said = f" ({REASONS.get(reason[1], reason[1])})" if reason else ""
        return f"suppression #{entry.object_id}{said}"
    return ADDRESS.sub(label, entry.object_repr)


def _owners(apps: Any, entries: list[Any], types: dict[int, str]) -> dict[int, int]:
    """The subscriber each entry is about or under, where it is still there to say."""
    owners = {}
    for model in HOLDING:
        ids = {e.object_id: e.pk for e in entries if types[e.content_type_id] == model}
        rows = apps.get_model("subscriptions", model).objects.filter(
            pk__in=[i for i in ids if i.isdigit()]
        )
        for pk, subscriber_id in rows.values_list("pk", "subscriber_id"):
            owners[ids[str(pk)]] = subscriber_id
    for entry in entries:
        if types[entry.content_type_id] == "subscriber" and entry.object_id.isdigit():
            owners[entry.pk] = int(entry.object_id)
    return owners


def _subscribers_named(apps: Any, entries: list[Any]) -> dict[str, int]:
    """Each address the entries name that a subscriber still has, case-folded, with theirs."""
    named: set[str] = set()
    for entry in entries:
        for text in [entry.object_repr, *_strings(_decoded(entry.change_message))]:
            named.update(ADDRESS.findall(text))
    Subscriber = apps.get_model("subscriptions", "Subscriber")
    rows = Subscriber.objects.filter(email__in=named).values_list("email", "pk")
    return {email.casefold(): pk for email, pk in rows}


def _scrubbed_message(message: str, label: Callable[[re.Match[str]], str]) -> str:
    # Django stores a JSON list of what changed, inline rows by name ("object"), with
    # non-ASCII letters escaped; an older or custom message is plain text.
    decoded = _decoded(message)
    if decoded is message:
        return ADDRESS.sub(label, message)
    return json.dumps(_walk(decoded, lambda text: ADDRESS.sub(label, text)))


def _decoded(message: str) -> Any:
    """The message's JSON, or the message itself where it is plain text."""
    try:
        return json.loads(message) if message.startswith("[") else message
    except ValueError:
        return message


def _strings(value: Any) -> Iterator[str]:
    """Each string in a decoded message."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | dict):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _strings(item)


def _walk(value: Any, change: Callable[[str], str]) -> Any:
    """`value` with `change` applied to each string in it (keys are Django's own words)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_walk(item, change) for item in value]
    if isinstance(value, dict):
        return {key: _walk(item, change) for key, item in value.items()}
    return value


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0015_fastmail_subdomain_inboxes"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        # Backwards: nothing to put back (the addresses are what this takes out).
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
