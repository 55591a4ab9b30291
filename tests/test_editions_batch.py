"""An edition in batches where the provider can give each reader their own copy from one call
(Mailgun: recipient variables in the body, per-recipient headers and metadata), one call a
language; each reader's links and List-Unsubscribe are their own (issue 25)."""

import re

import pytest
from django.core import mail

from editions import services, tasks
from editions.models import Edition, EditionMessage
from subscriptions.core.tokens import check_unsubscribe_token
from subscriptions.models import OutboxState, Status, Subscription
from subscriptions.tasks import send_due_of

from .support.factories import confirmed_readers
from .support.fake_mailgun import FakeMailgun

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailgun(settings):
    fake = FakeMailgun().start()
    settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
    settings.ANYMAIL = {
        "MAILGUN_API_KEY": "key-test",
        "MAILGUN_API_URL": fake.api_url,
        "MAILGUN_SENDER_DOMAIN": "mg.example.com",
    }
    yield fake
    fake.stop()


def send_edition(newsletter, *languages: str) -> Edition:
    for language in languages:
        for subscription in confirmed_readers(newsletter, 1):
            subscription.subscriber.language = language
            subscription.subscriber.save(update_fields=["language"])
    edition = services.create_draft(
        newsletter=newsletter, subject="Brief", preheader="", body="News.", author=None
    )
    services.start_send(edition=edition, actor="editor:kate")
    tasks.fix_recipients.apply(args=(edition.pk,))
    send_due_of.apply(args=("edition",))
    return edition


def subscription_in(url: str) -> int | None:
    token = re.search(r"/unsubscribe/([^/]+)/", url)
    assert token, url
    return check_unsubscribe_token(token.group(1)).object_id


def test_one_call_a_language_each_reader_with_their_own_links(mailgun, newsletters, client):
    send_edition(newsletters["daily"], "en", "en", "en", "uk", "uk")
    assert mailgun.calls == 2  # English and Ukrainian
    assert len(mailgun.accepted) == 5
    mine = {}
    for message in mailgun.accepted:
        subscription = Subscription.objects.get(subscriber__email=message["To"])
        header = message["Headers"]["List-Unsubscribe"]
        assert subscription_in(header) == subscription.pk  # their own header
        assert subscription_in(message["TextBody"]) == subscription.pk  # their own link
        assert subscription_in(message["HtmlBody"]) == subscription.pk
        assert "%recipient" not in message["TextBody"] + message["HtmlBody"]
        assert message["Metadata"]["subscription"] == str(subscription.pk)
        assert message["Headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        mine[message["To"]] = header.strip("<>")
    assert EditionMessage.objects.filter(state=OutboxState.SENT).count() == 5
    # One reader's one-click POST unsubscribes that reader only.
    address, url = next(iter(mine.items()))
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    statuses = {s.subscriber.email: s.status for s in Subscription.objects.all()}
    assert statuses.pop(address) == Status.UNSUBSCRIBED
    assert set(statuses.values()) == {Status.CONFIRMED}


def test_a_batch_is_never_over_the_size_set(mailgun, newsletters, settings):
    settings.LIST_BATCH_SIZE = 2
    send_edition(newsletters["daily"], *["en"] * 5)
    assert mailgun.calls == 3 and len(mailgun.accepted) == 5


def test_a_call_that_fails_as_a_whole_is_retried_and_sends_each_reader_once(
    mailgun, newsletters, settings
):
    settings.SEND_BACKOFF_BASE = 0
    mailgun.faults.fail_statuses = [503]
    edition = send_edition(newsletters["daily"], "en", "en", "en")
    assert mailgun.accepted == []  # the provider kept nothing of a 503
    EditionMessage.objects.filter(edition=edition).update(claimed_until=None)
    send_due_of.apply(args=("edition",))
    assert sorted(m["To"] for m in mailgun.accepted) == sorted(
        s.subscriber.email for s in Subscription.objects.all()
    )


def test_a_provider_without_merged_bodies_gets_one_call_a_reader(newsletters):
    send_edition(newsletters["daily"], "en", "en", "en")  # locmem, as Postmark would be
    assert len(mail.outbox) == 3
    assert len({m.extra_headers["List-Unsubscribe"] for m in mail.outbox}) == 3
