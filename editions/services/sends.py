"""Sending an edition to its list: the start (one per edition, whoever presses), the recipient
list fixed chunk by chunk (recipients.py), and the end, once nothing waits."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from subscriptions.api import SYSTEM_ACTOR, enqueue
from subscriptions.api import services as subscription_services
from subscriptions.models import OutboxState

from .. import recipients
from ..models import Edition, EditionMessage, EditionStatus
from .drafts import move

FIX_RECIPIENTS_TASK = "editions.tasks.fix_recipients"


class SendRefused(ValueError):
    """No send was started; the message says why, to the editor."""


@transaction.atomic
def start_send(*, edition: Edition, actor: str) -> Edition:
    """Start sending `edition` to its list: the move to sending (refused from anywhere else,
    so a second press, or a second editor's, starts nothing), then the recipient list is
    fixed by a worker, after commit."""
    locked = Edition.objects.select_for_update().get(pk=edition.pk)
    # Not from paused: going on with a paused send is resuming it, not starting one.
    if locked.status not in (EditionStatus.DRAFT, EditionStatus.SCHEDULED):
        raise SendRefused(
            _("This edition is %(status)s: it can't be sent again.")
            % {"status": locked.get_status_display()}
        )
    sending = move(edition=locked, to=EditionStatus.SENDING, actor=actor)
    enqueue(FIX_RECIPIENTS_TASK, sending.pk)
    return sending


def fix_recipients(*, edition_id: int) -> int:
    """Fix a sending edition's recipient list, one chunk a transaction under the edition's
    lock (so two tasks at once write each chunk once); each chunk's rows are counted and
    their sender woken as they commit. Returns the recipients written by this call."""
    written = 0
    while True:
        with transaction.atomic():
            edition = Edition.objects.select_for_update().get(pk=edition_id)
            if edition.status != EditionStatus.SENDING or edition.recipients_fixed_at:
                return written
            chunk = recipients.fix_chunk(edition, timezone.now())
            if chunk.last:
                edition.recipients_fixed_at = timezone.now()
            edition.save(update_fields=["fixed_through", "recipients_fixed_at"])
            subscription_services.queued_in_bulk(
                kind=EditionMessage, queued=chunk.queued, skipped=chunk.skipped
            )
            written += chunk.queued + chunk.skipped
        if chunk.last:
            return written


@transaction.atomic
def finish_if_sent(*, edition_id: int) -> bool:
    """Mark a sending edition sent once its list is fixed and no row waits any more."""
    edition = Edition.objects.select_for_update().get(pk=edition_id)
    if edition.status != EditionStatus.SENDING or not edition.recipients_fixed_at:
        return False
    if edition.messages.filter(state=OutboxState.QUEUED).exists():
        return False
    move(edition=edition, to=EditionStatus.SENT, actor=SYSTEM_ACTOR)
    return True


def sending_editions() -> list[tuple[int, bool]]:
    """Each sending edition's id, and whether its recipient list is fixed."""
    rows = Edition.objects.filter(status=EditionStatus.SENDING).values_list(
        "pk", "recipients_fixed_at"
    )
    return [(pk, fixed_at is not None) for pk, fixed_at in rows]
