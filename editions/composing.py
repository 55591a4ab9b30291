"""An edition as list mail: its content (subject, preheader, the body rendered once, "View
in browser"), and its messages, all through subscriptions' one list-mail path, which sets the
list's sender, its unsubscribe headers, List-Id and footer for every kind alike.

A reader's copy carries that reader's links; an editor's test and the admin's preview carry
links of the test purpose (subscriptions' listmail tester), which change nothing. The edition
kind is declared here and registered from EditionsConfig.ready().
"""

from dataclasses import replace

from anymail.message import AnymailMessage
from django.db.models import QuerySet, prefetch_related_objects
from django.urls import reverse
from django.utils.translation import gettext as _

from subscriptions.api import (
    Kind,
    ListContent,
    absolute_url,
    compose_list_batches,
    compose_list_message,
    list_tester,
)
from subscriptions.app_settings import app_settings
from subscriptions.models import Status, Subscription

from .body import render
from .models import Edition, EditionMessage, EditionTest

KIND = "edition"


def web_url(edition: Edition) -> str:
    """Its "View in browser" page (urls.py): the same for every reader, with no token."""
    return absolute_url(reverse("editions:web_version", args=[edition.pk]))


def content_of(edition: Edition, *, subject: str | None = None) -> ListContent:
    return ListContent(
        kind=KIND,
        subject=edition.subject if subject is None else subject,
        html=render(edition.body).html,
        metadata={"edition": str(edition.pk)},
        preheader=edition.preheader,
        web_url=web_url(edition),
    )


def test_message(test: EditionTest) -> AnymailMessage:
    """The editor's test: the readers' message, to the editor's own address only, "[Test]"
    before the subject, and links of the test purpose."""
    edition = test.edition
    recipient = list_tester(
        address=test.address, language=test.language, newsletter=edition.newsletter
    )
    subject = _("[Test] %(subject)s") % {"subject": edition.subject}
    content = content_of(edition, subject=subject)
    message = compose_list_message(recipient, edition.newsletter, content)
    message.metadata = {**message.metadata, "edition_test": str(test.pk)}
    return message


def preview_message(edition: Edition, *, language: str) -> AnymailMessage:
    """What a reader gets, for the admin's preview: links of the test purpose, and an address
    no one reads (the preview is never sent)."""
    recipient = list_tester(
        address="preview@example.invalid", language=language, newsletter=edition.newsletter
    )
    return compose_list_message(recipient, edition.newsletter, content_of(edition))


def _messages(rows: list[EditionMessage]) -> dict[int, AnymailMessage | None]:
    """Each row's message, to its subscription's reader; nothing for one no longer confirmed.
    The content is built once per edition, not once per row."""
    prefetch_related_objects(
        rows, "edition__newsletter", "subscription__subscriber", "subscription__newsletter"
    )
    # Once per edition: rendering the body was a third of a row's cost when done per row.
    editions = {row.edition_id: row.edition for row in rows}
    contents = {pk: content_of(edition) for pk, edition in editions.items()}
    return compose_list_batches(
        [(row.pk, row.subscription, _with_row(contents[row.edition_id], row)) for row in rows]
    )


def _with_row(content: ListContent, row: EditionMessage) -> ListContent:
    return replace(content, metadata={**content.metadata, "edition_message": str(row.pk)})


def _refused(row: EditionMessage) -> QuerySet[Subscription]:
    """The one subscription it was for, if it is still confirmed."""
    return Subscription.objects.filter(pk=row.subscription_id, status=Status.CONFIRMED)


EDITIONS = Kind(
    model=EditionMessage,
    reader="subscription__subscriber",
    compose=_messages,
    refused=_refused,
    admin_related=("edition", "subscription__subscriber", "subscription__newsletter"),
    # For a provider that caps a sender's rate: one count across every worker and host.
    rate=lambda: app_settings.EDITION_SEND_RATE,
    # One call for many readers where the provider can merge each one's links and headers.
    batched=True,
)
