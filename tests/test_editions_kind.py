"""An edition's email to a reader is list mail like the welcome email: the same headers,
sender and footer, through the one list-mail path, and a kind of its own that the sender,
/metrics and the reader's data read from its declaration (issue 24)."""

import pytest
from django.core import mail

from editions import services
from editions.models import Edition, EditionMessage, EditionStatus
from subscriptions import services as subscription_services
from subscriptions.core.tokens import check_unsubscribe_token
from subscriptions.models import Subscription
from subscriptions.privacy import personal_data
from subscriptions.tasks import send_due_of

from .support.helpers import confirmed
from .test_email_layout import kind_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def edition(newsletters) -> Edition:
    return services.create_draft(
        newsletter=newsletters["daily"],
        subject="Morning brief",
        preheader="Five stories before coffee",
        body="## First\n\nA story.\n\n---\n\n[Read on](https://news.example/a){.button}",
        author=None,
    )


@pytest.fixture
def both_emails(client, newsletters, edition, settings):
    """A reader's welcome email and an edition's email to them, as the provider got them."""
    settings.POSTAL_ADDRESS = "1 Khreshchatyk St, Kyiv"
    newsletters["daily"].welcome_body = "Welcome."
    newsletters["daily"].save()
    confirmed(client, "reader@example.com", "daily")
    subscription = Subscription.objects.get()
    mail.outbox.clear()
    send_due_of.apply(args=("welcome",))
    subscription_services.queue(
        EditionMessage,
        [
            EditionMessage(
                edition=edition, subscription=subscription, created_at=edition.created_at
            )
        ],
    )
    assert send_due_of.apply(args=("edition",)).get() == 1
    by_kind = {kind_of(m): m for m in mail.outbox}
    assert set(by_kind) == {"welcome", "edition"}
    return by_kind


def unsubscribes(message) -> int | None:
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    prefix = "http://testserver/unsubscribe/"
    assert url.startswith(prefix)
    return check_unsubscribe_token(url.removeprefix(prefix).rstrip("/")).object_id


def test_an_edition_has_the_welcome_emails_headers_sender_and_footer(both_emails):
    welcome, edition = both_emails["welcome"], both_emails["edition"]
    for header in ("List-Unsubscribe-Post", "List-Id"):
        assert edition.extra_headers[header] == welcome.extra_headers[header], header
    assert edition.from_email == welcome.from_email and edition.to == ["reader@example.com"]
    # Both name the same subscription (each token is signed with its own time).
    assert unsubscribes(edition) == unsubscribes(welcome) == Subscription.objects.get().pk
    for line in ("Unsubscribe with one click:", "1 Khreshchatyk St, Kyiv"):
        assert line in edition.body and line in welcome.body
    assert edition.metadata["kind"] == "edition" and edition.metadata["list"] == "daily"


def test_an_edition_shows_its_preheader_hidden_and_view_in_browser_in_its_footer(
    both_emails, edition
):
    message = both_emails["edition"]
    html = message.alternatives[0][0]
    assert "Five stories before coffee" in html and "display:none" in html
    assert "Five stories before coffee" not in message.body  # the text part has no hidden line
    web = f"http://testserver/editions/{edition.pk}/"
    assert f'href="{web}"' in html and f"View in browser: {web}" in message.body
    assert "Read on (https://news.example/a)" in message.body
    assert "View in browser" not in both_emails["welcome"].body  # no page of its own


def test_the_edition_kind_is_counted_and_listed_in_the_readers_data(both_emails, scrape):
    assert scrape()['newsroom_emails_total{kind="edition",outcome="sent"}'] == 1
    reader = Subscription.objects.get().subscriber
    assert [
        e["state"] for e in personal_data.document(reader)["emails"] if e["kind"] == "edition"
    ] == ["sent"]


def test_view_in_browser_shows_a_sent_edition_and_nothing_before(client, edition):
    url = f"/editions/{edition.pk}/"
    assert client.get(url).status_code == 404  # a draft, like an edition that doesn't exist
    services.move(edition=edition, to=EditionStatus.SENDING, actor="system")
    services.move(edition=edition, to=EditionStatus.SENT, actor="system")
    page = client.get(url).content.decode()
    assert "<h1>Morning brief</h1>" in page and "A story." in page
    assert client.get("/editions/999/").status_code == 404


def test_a_test_link_that_was_changed_leads_to_the_invalid_link_page(client):
    response = client.get("/test-link/not-a-token/")
    assert response.status_code == 400
    assert "<h1>This link doesn't work</h1>" in response.content.decode()
