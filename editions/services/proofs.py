"""Editors' test emails of an edition ("Send a test to me"): asked for in the admin, sent by
a worker to the editor's own address only, once, under the outbox's lease."""

from datetime import timedelta

from anymail.exceptions import AnymailError
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from subscriptions.api import enqueue, is_transient_error, ratelimit, send_email
from subscriptions.api import services as subscription_services
from subscriptions.models import OutboxState

from .. import composing
from ..models import Edition, EditionTest

# few to make the admin a way to flood one inbox.
TEST_LIMIT = "5/minute"
TEST_LIMIT_NAMESPACE = "edition-test"
SEND_TEST_TASK = "editions.tasks.send_test"


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
    # The outbox's own claim (a lease of SEND_LEASE, taken in one conditional UPDATE), as
    # for every kind's rows: a test is an outbox row, though no declared kind.
    if not subscription_services.claim(kind=EditionTest, item_id=test_id):
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
    unsent = EditionTest.objects.claimable(now=now).filter(
        created_at__lt=now - older_than, created_at__gte=now - within
    )
    return list(unsent.values_list("pk", flat=True))
