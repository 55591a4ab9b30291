"""'Send now': an edition goes to every confirmed reader of its list, one copy per inbox, each
with its own links, from a recipient list fixed in the database when the send starts
(issue 25, first step: the per-recipient send)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.utils import timezone

from editions import recipients, services, tasks
from editions.models import Edition, EditionEvent, EditionMessage, EditionStatus, SkipReason
from subscriptions import services as subscription_services
from subscriptions.guards.validation import address_key, inbox_key
from subscriptions.models import (
    Inbox,
    Newsletter,
    OutboxState,
    Status,
    Subscriber,
    Subscription,
    Suppression,
)
from subscriptions.tasks import send_due_of

pytestmark = pytest.mark.django_db


def reader(
    newsletter: Newsletter, email: str, status: str = Status.CONFIRMED, **at
) -> Subscription:
    now = at.get("confirmed_at", timezone.now())
    subscriber = Subscriber.objects.create(
        email=email, email_key=address_key(email), inbox_key=inbox_key(email), language="en"
    )
    Inbox.objects.get_or_create(key=subscriber.inbox_key)
    return Subscription.objects.create(
        subscriber=subscriber, newsletter=newsletter, status=status,
        pending_at=now, confirmed_at=now if status == Status.CONFIRMED else None,
        status_changed_at=now,
    )  # fmt: skip


def suppress(email: str, reason: str) -> None:
    Suppression.objects.create(
        inbox_key=inbox_key(email), reason=reason, created_at=timezone.now(), actor="provider:test"
    )


@pytest.fixture
def daily(newsletters) -> Newsletter:
    return newsletters["daily"]


@pytest.fixture
def edition(daily) -> Edition:
    return services.create_draft(
        newsletter=daily, subject="Morning brief", preheader="", body="Five stories.", author=None
    )


@pytest.fixture
def readers(daily) -> list[Subscription]:
    """Three confirmed readers, and one each pending, gone and suppressed, who get nothing."""
    confirmed = [reader(daily, f"r{n}@example.com") for n in range(3)]
    reader(daily, "pending@example.com", Status.PENDING)
    reader(daily, "gone@example.com", Status.UNSUBSCRIBED)
    reader(daily, "bounced@example.com")
    suppress("bounced@example.com", Suppression.Reason.HARD_BOUNCE)
    return confirmed


def send_page(edition: Edition) -> str:
    return f"/admin/editions/edition/{edition.pk}/send/"


def deliver(edition: Edition) -> None:
    """What the workers do: fix the list, send every row, then beat's sweep marks it sent."""
    tasks.fix_recipients.apply(args=(edition.pk,))
    send_due_of.apply(args=("edition",))
    tasks.sweep_sends.apply()


def test_the_confirmation_page_names_the_edition_list_and_exact_count(
    editor_client, edition, readers
):
    page = editor_client.get(send_page(edition)).content.decode()
    assert "Send “Morning brief” to 3 confirmed readers of The Daily Brief?" in page
    assert "It may change by the time the send starts" in page
    assert Edition.objects.get().status == EditionStatus.DRAFT  # opening the page sends nothing


def test_send_now_reaches_each_confirmed_reader_once_with_their_own_links(
    editor_client, edition, readers, client
):
    response = editor_client.post(send_page(edition))
    assert "has started" in [str(m) for m in get_messages(response.wsgi_request)][-1]
    assert Edition.objects.get().status == EditionStatus.SENDING
    deliver(edition)
    assert sorted(m.to[0] for m in mail.outbox) == [f"r{n}@example.com" for n in range(3)]
    links = {m.extra_headers["List-Unsubscribe"] for m in mail.outbox}
    assert len(links) == 3  # each reader's own
    sent = Edition.objects.get()
    assert sent.status == EditionStatus.SENT and sent.sent_at is not None
    moves = [(e.to_status, e.actor) for e in EditionEvent.objects.filter(edition=sent)]
    assert moves == [("draft", "system"), ("sending", "editor:kate"), ("sent", "system")]
    # One reader's one-click POST unsubscribes that reader only.
    first = mail.outbox[0]
    url = first.extra_headers["List-Unsubscribe"].strip("<>")
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    statuses = {s.subscriber.email: s.status for s in Subscription.objects.all()}
    assert statuses[first.to[0]] == Status.UNSUBSCRIBED
    others = [e for e in statuses if e.startswith("r") and e != first.to[0]]
    assert all(statuses[e] == Status.CONFIRMED for e in others)


def test_a_second_press_starts_no_second_send(editor_client, edition, readers):
    editor_client.post(send_page(edition))
    again = editor_client.post(send_page(edition))
    assert "can't be sent again" in [str(m) for m in get_messages(again.wsgi_request)][-1]
    deliver(edition)
    tasks.fix_recipients.apply(args=(edition.pk,))  # a duplicated task, too
    assert len(mail.outbox) == 3 and EditionMessage.objects.count() == 3


def test_two_spellings_of_one_inbox_get_one_copy_with_the_first_confirmed_links(edition, daily):
    early = timezone.now() - timedelta(days=3)
    first = reader(daily, "ann.smith@gmail.com", confirmed_at=early)
    reader(daily, "annsmith+news@gmail.com")
    services.start_send(edition=edition, actor="editor:kate")
    deliver(edition)
    assert [m.to for m in mail.outbox] == [["ann.smith@gmail.com"]]
    assert getattr(mail.outbox[0], "metadata")["subscription"] == str(first.pk)  # noqa: B009
    skipped = EditionMessage.objects.get(skip_reason=SkipReason.SAME_INBOX)
    assert skipped.state == OutboxState.SKIPPED and skipped.subscription.subscriber.email == (
        "annsmith+news@gmail.com"
    )


def test_late_leavers_are_skipped_and_an_erased_reader_leaves_no_row(edition, readers):
    services.start_send(edition=edition, actor="editor:kate")
    tasks.fix_recipients.apply(args=(edition.pk,))
    assert EditionMessage.objects.count() == 3
    left, suppressed, erased = readers
    subscription_services.unsubscribe(subscription_id=left.pk, detail="test")
    suppress(suppressed.subscriber.email, Suppression.Reason.COMPLAINT)
    subscription_services.erase_subscriber(subscriber_id=erased.subscriber_id, actor="editor:kate")
    assert EditionMessage.objects.count() == 2  # the erased reader's row went with them
    send_due_of.apply(args=("edition",))
    assert mail.outbox == []
    figures = recipients.figures(edition, timezone.now())
    assert (figures.recipients, figures.sent, figures.skipped) == (2, 0, 2)


def test_a_fixing_that_stopped_goes_on_from_its_last_chunk(edition, daily):
    for n in range(7):
        reader(daily, f"c{n}@example.com")
    services.start_send(edition=edition, actor="editor:kate")
    with mock.patch.object(recipients, "CHUNK", 3):
        first_pass = mock.patch.object(
            subscription_services, "queued_in_bulk", side_effect=[None, RuntimeError("killed")]
        )
        with first_pass, pytest.raises(RuntimeError):
            services.fix_recipients(edition_id=edition.pk)
        assert EditionMessage.objects.count() == 3  # the first chunk committed, the second not
        assert services.fix_recipients(edition_id=edition.pk) == 4
    assert EditionMessage.objects.count() == 7
    assert EditionMessage.objects.values("inbox_key").distinct().count() == 7


def test_staff_without_the_send_permission_can_start_no_send(edition, readers):
    user = User.objects.create_user("viewer", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_edition", "change_edition"])
    )
    client = Client()
    client.force_login(user)
    assert client.get(send_page(edition)).status_code == 403
    assert client.post(send_page(edition)).status_code == 403
    change = client.get(f"/admin/editions/edition/{edition.pk}/change/").content.decode()
    assert "Send now" not in change
    assert Edition.objects.get().status == EditionStatus.DRAFT


def test_a_sending_editions_page_shows_its_figures(editor_client, edition, readers):
    editor_client.post(send_page(edition))
    deliver(edition)
    page = editor_client.get(f"/admin/editions/edition/{edition.pk}/change/").content.decode()
    assert "3 recipients: 3 sent, 0 skipped, 0 refused, 0 failed, 0 to go" in page


def test_a_backlog_wakes_one_more_worker_process_once_per_turn(edition, daily, settings):
    settings.SEND_BATCH = 2
    for n in range(5):
        reader(daily, f"b{n}@example.com")
    services.start_send(edition=edition, actor="editor:kate")
    tasks.fix_recipients.apply(args=(edition.pk,))
    with mock.patch("subscriptions.core.dispatch.publish") as publish:
        send_due_of.apply(args=("edition",))
    wake_ups = [c.args for c in publish.call_args_list if c.args[1] == ("edition",)]
    assert wake_ups == [("subscriptions.tasks.send_due_of", ("edition",))]
    assert len(mail.outbox) == 5
