"""The flows: the only writers of editions. Typed, keyword-only, one transaction each.

A draft's words change through update_draft; its status only through move, which checks the
move against models.TRANSITIONS and appends the EditionEvent naming who made it.
"""

from datetime import timedelta

from anymail.exceptions import AnymailError
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from subscriptions.api import (
    SYSTEM_ACTOR,
    editor_actor,
    enqueue,
    is_transient_error,
    ratelimit,
    send_email,
)
from subscriptions.api import services as subscription_services
from subscriptions.models import Newsletter, OutboxState

from . import composing, recipients
from .models import (
    TRANSITIONS,
    Edition,
    EditionEvent,
    EditionMessage,
    EditionStatus,
    EditionTest,
)


class MoveRefused(ValueError):
    """A status move TRANSITIONS doesn't allow; nothing was changed."""


class NotADraft(ValueError):
    """Only a draft's words can change; nothing was changed."""


def author_actor(author: User | None) -> str:
    return editor_actor(author.get_username()) if author else SYSTEM_ACTOR


@transaction.atomic
def create_draft(
    *,
    newsletter: Newsletter,
    subject: str,
    preheader: str,
    body: str,
    author: User | None,
) -> Edition:
    """A new draft of a list, its history starting with its author's creation of it."""
    edition = Edition.objects.create(
        newsletter=newsletter,
        subject=subject,
        preheader=preheader,
        body=body,
        author=author,
        status=EditionStatus.DRAFT,
    )
    EditionEvent.objects.create(
        edition=edition,
        from_status="",
        to_status=EditionStatus.DRAFT,
        at=edition.created_at,
        actor=author_actor(author),
    )
    return edition


@transaction.atomic
def update_draft(
    *, edition: Edition, newsletter: Newsletter, subject: str, preheader: str, body: str
) -> Edition:
    """A draft's list and words; refuses (NotADraft) an edition that has left draft."""
    locked = Edition.objects.select_for_update().get(pk=edition.pk)
    if locked.status != EditionStatus.DRAFT:
        raise NotADraft(
            _("Only a draft can be edited; this edition is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    locked.newsletter, locked.subject = newsletter, subject
    locked.preheader, locked.body = preheader, body
    locked.save(update_fields=["newsletter", "subject", "preheader", "body", "changed_at"])
    return locked


@transaction.atomic
def move(*, edition: Edition, to: EditionStatus, actor: str) -> Edition:
    """Move an edition to `to`, if TRANSITIONS allows it from where it is now (read under
    the row's lock, so two moves at once can't both start from the same status)."""
    locked = Edition.objects.select_for_update().get(pk=edition.pk)
    before = EditionStatus(locked.status)
    if to not in TRANSITIONS[before]:
        raise MoveRefused(
            _("An edition can't go from %(from)s to %(to)s.")
            % {"from": before.label, "to": EditionStatus(to).label}
        )
    now = timezone.now()
    locked.status = to
    fields = ["status", "changed_at"]
    if to == EditionStatus.SENT:
        locked.sent_at = now
        fields.append("sent_at")
    locked.save(update_fields=fields)
    EditionEvent.objects.create(
        edition=locked, from_status=before, to_status=to, at=now, actor=actor
    )
    return locked


# An editor's test goes to their own inbox only, a few a minute: enough to check a fix, too
# few to make the admin a way to flood one inbox.
TEST_LIMIT = "5/minute"
TEST_LIMIT_NAMESPACE = "edition-test"
SEND_TEST_TASK = "editions.tasks.send_test"
# A worker holds a claimed test this long; one killed mid-send lets another take it after.
TEST_LEASE = timedelta(minutes=2)


class TestRefused(ValueError):
    """No test was queued; the message says why, to the editor."""


@transaction.atomic
def request_test(*, edition: Edition, editor: User, language: str) -> EditionTest:
    """Queue a test of `edition` to `editor`'s own address: no address is taken from the
    request, so no post can send one anywhere else."""
    address = (editor.email or "").strip()
    if not address:
        raise TestRefused(
            _(
                "Your account has no email address, so a test has nowhere to go. Add your "
                "address to your account, then send the test again."
            )
        )
    key = str(editor.pk)
    if ratelimit.exhausted(TEST_LIMIT_NAMESPACE, key, TEST_LIMIT):
        raise TestRefused(
            _("You have sent several tests in the last minute. Wait a minute, then try again.")
        )
    ratelimit.hit(TEST_LIMIT_NAMESPACE, key, TEST_LIMIT)
    test = EditionTest.objects.create(
        edition=edition,
        requested_by=editor,
        address=address,
        language=language,
        created_at=timezone.now(),
    )
    enqueue(SEND_TEST_TASK, test.pk)
    return test


class TestNotSentYet(Exception):
    """The provider failed in a way worth retrying; the test stays queued for a retry."""


def send_test(*, test_id: int) -> str:
    """Send one queued test, once: a claim (a lease, taken in one UPDATE) keeps a redelivered
    or duplicated task from sending it again. Raises TestNotSentYet on a transient provider
    error, for the task to retry with backoff; a permanent one closes it as refused."""
    test = _claim(test_id)
    if test is None:
        return "taken"  # sent or closed already, or another worker holds the claim
    try:
        message_id = send_email(composing.test_message(test))
    except AnymailError as exc:
        transient = is_transient_error(exc)
        _close(test, OutboxState.QUEUED if transient else OutboxState.REFUSED, error=str(exc))
        if transient:
            raise TestNotSentYet(str(exc)) from exc
        return "refused"
    _close(test, OutboxState.SENT, message_id=message_id)
    return "sent"


def _claim(test_id: int) -> EditionTest | None:
    now = timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    claimed = (
        EditionTest.objects.filter(free, pk=test_id, state=OutboxState.QUEUED)
        .order_by()
        .update(
            claimed_until=now + TEST_LEASE,
            attempts=F("attempts") + 1,
            first_attempt_at=Coalesce("first_attempt_at", Value(now)),
        )
    )
    if not claimed:
        return None
    return EditionTest.objects.select_related("edition__newsletter").get(pk=test_id)


def _close(test: EditionTest, state: str, *, message_id: str = "", error: str = "") -> None:
    """Record how the attempt ended; a test left queued is free for the retry at once."""
    closed = timezone.now() if state != OutboxState.QUEUED else None
    EditionTest.objects.filter(pk=test.pk).update(
        state=state, claimed_until=None, closed_at=closed, message_id=message_id,
        last_error=error[:2000],
    )  # fmt: skip


def unsent_tests(*, older_than: timedelta, within: timedelta) -> list[int]:
    """Tests still queued with no live claim, asked for between `within` and `older_than`
    ago: those whose task the broker lost (beat's sweep queues them again)."""
    now = timezone.now()
    return list(
        EditionTest.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            state=OutboxState.QUEUED,
            created_at__lt=now - older_than,
            created_at__gte=now - within,
        ).values_list("pk", flat=True)
    )


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
