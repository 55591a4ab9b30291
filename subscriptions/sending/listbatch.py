"""List mail in batches: one provider call for up to a batch of a list's readers, where the
provider can give each of them their own message (batching.py). Each reader's links go into
the body through the provider's merge fields (merge_data), their List-Unsubscribe through
merge_headers and their row ids through merge_metadata; what every reader gets alike (the
parts, List-Id, List-Unsubscribe-Post, the sender, the tag) is the one list-mail path's
(listmail.py). Where the provider can't, each reader's message is a call of its own.

A batch holds readers of one list, one language (the layout's words follow it) and one
content, so the parts are rendered once for all of them.
"""

from collections import defaultdict
from collections.abc import Sequence

from anymail.message import AnymailMessage
from django.utils import translation

from ..models import Newsletter, Subscription
from . import listmail
from .batching import BatchProvider, batch_size
from .listmail import ListContent, Recipient
from .mail import BatchMail

# The merge fields' names: short, since Mailgun sends every reader's values in each call.
UNSUBSCRIBE, PREFERENCES = "u", "p"

_Member = tuple[int, Recipient, ListContent]


def messages(
    items: Sequence[tuple[int, Subscription, ListContent]],
) -> dict[int, AnymailMessage | None]:
    """Like listmail.messages, in batches where the configured provider can: rows that share
    a batch share one message (a BatchMail naming each row's recipient)."""
    batching = batch_size()
    if batching is None:
        return listmail.messages(items)
    provider, size = batching
    composed: dict[int, AnymailMessage | None] = {}
    groups: dict[tuple, list[_Member]] = defaultdict(list)
    newsletters: dict[int, Newsletter] = {}
    for row_id, subscription, content in items:
        recipient = listmail.reader(subscription)
        if recipient is None:
            composed[row_id] = None
            continue
        newsletters[subscription.newsletter_id] = subscription.newsletter
        key = (subscription.newsletter_id, recipient.language, *_words(content))
        groups[key].append((row_id, recipient, content))
    for (newsletter_id, *_rest), members in groups.items():
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            message = batch_message(chunk, newsletters[newsletter_id], provider)
            composed.update(dict.fromkeys(message.rows, message))
    return composed


def _words(content: ListContent) -> tuple[str, ...]:
    return (content.kind, content.subject, content.html, content.preheader, content.web_url)


def batch_message(
    members: list[_Member], newsletter: Newsletter, provider: BatchProvider
) -> BatchMail:
    """One call's message: each member's own links, header and metadata merged by the
    provider into the copy it sends them."""
    _row, first, content = members[0]
    fields = {
        "unsubscribe_url": provider.field.format(UNSUBSCRIBE),
        "preferences_url": provider.field.format(PREFERENCES),
    }
    with translation.override(first.language or None):
        parts = listmail.shared_parts(content, newsletter).filled(fields)
    mail = BatchMail(
        subject=parts.subject,
        body=parts.text,
        from_email=listmail.sender(newsletter),
        to=[recipient.address for _row, recipient, _content in members],
        reply_to=[newsletter.reply_to] if newsletter.reply_to else None,
        headers=listmail.list_headers(newsletter),
    )
    mail.attach_alternative(parts.html, "text/html")
    mail.merge_data = {
        r.address: {UNSUBSCRIBE: r.unsubscribe_url, PREFERENCES: r.preferences_url}
        for _row, r, _c in members
    }
    mail.merge_headers = {
        r.address: {"List-Unsubscribe": listmail.unsubscribe_targets(r)} for _row, r, _c in members
    }
    mail.merge_metadata = {r.address: {**r.metadata, **c.metadata} for _row, r, c in members}
    mail.rows = {row: r.address for row, r, _c in members}
    listmail.addressed(mail, newsletter, content)
    return mail
