"""The one way mail reaches a list's subscribers: welcome emails now, editions later.

Whatever the kind, a list message:
- goes only to a subscription confirmed for that list (anything else gets no message), and
  never to a suppressed inbox (the sender, delivery.py, checks that for every kind);
- carries one-click unsubscribe: `List-Unsubscribe` with one HTTPS URL for that subscription
  (and a `mailto:` when UNSUBSCRIBE_MAILTO is set), and `List-Unsubscribe-Post:
  List-Unsubscribe=One-Click` (RFC 8058; Gmail's and Yahoo's bulk-sender rules);
- carries `List-Id: <name> <slug.lists.SITE-DOMAIN>` (RFC 2919);
- shows the unsubscribe link, the link to the reader's preference center and the sender's
  POSTAL_ADDRESS (CAN-SPAM) in its text and HTML bodies;
- comes from the list's sender, else LIST_FROM_EMAIL (confirmations keep DEFAULT_FROM_EMAIL,
  so list mail's reputation is kept apart), through LIST_ESP_EXTRA's stream where set;
- has one tag, its kind, and metadata naming the list, the kind and our row ids, so a
  provider's events find their way back.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr
from functools import lru_cache
from urllib.parse import quote, urlsplit

import markdown
import nh3
from anymail.message import AnymailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from ..app_settings import app_settings
from ..core.tokens import (
    PREFERENCES_LINK,
    UNSUBSCRIBE_LINK,
    make_preferences_token,
    make_test_link_token,
    make_unsubscribe_token,
)
from ..models import Newsletter, Status, Subscription
from .emails import Parts, absolute_url, marker, render_parts, site
from .mail import Mail
from .plaintext import html_to_text

# What an editor's Markdown may become: the formatting the help text promises, nothing else.
ALLOWED_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
LINK_SCHEMES = {"https", "http", "mailto"}


@dataclass(frozen=True, eq=False)
class MarkdownPolicy:
    """What a kind of email lets an editor's Markdown become, as nh3 keeps it: the welcome
    email's few tags (WELCOME_MARKDOWN), or an edition's more. Compared by identity, so each
    policy is a module's constant and render_markdown's cache keeps one entry per text.

    `extensions` are Python-Markdown's, by name (an edition's `attr_list`, for a button);
    `classes` are the only class names nh3 keeps, per tag: whatever else an extension writes
    (an id, a style, an event attribute) is still taken out, as `attributes` says."""

    tags: frozenset[str]
    attributes: Mapping[str, frozenset[str]]
    url_schemes: frozenset[str]
    extensions: tuple[str, ...] = ()
    classes: Mapping[str, frozenset[str]] = field(default_factory=dict)


WELCOME_MARKDOWN = MarkdownPolicy(
    tags=frozenset(ALLOWED_TAGS),
    attributes={tag: frozenset(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=frozenset(LINK_SCHEMES),
)


@dataclass(frozen=True)
class ListContent:
    kind: str  # the message's one tag: "welcome", "edition"
    subject: str
    # The body as HTML, already sanitised by the kind's MarkdownPolicy (render_markdown);
    # the text part is read from it.
    html: str
    metadata: dict[str, str]  # our row ids, beside the list and the kind
    # The line inboxes show after the subject, hidden in the body.
    preheader: str = ""
    # Where the same email can be read on the web ("View in browser"); none for a welcome.
    web_url: str = ""


@dataclass(frozen=True)
class Recipient:
    """Whose inbox a list message goes to, in which language, and the links that are theirs:
    a confirmed subscription's own (reader), or links that change nothing, for an editor's
    test (tester). Composing is the same for both, so a test shows what readers get."""

    address: str
    language: str
    unsubscribe_url: str
    preferences_url: str
    # In the subject of the mailto: unsubscribe target, where UNSUBSCRIBE_MAILTO is set.
    mailto_token: str
    metadata: dict[str, str]


def sender(newsletter: Newsletter) -> str:
    default_name, default_address = parseaddr(app_settings.LIST_FROM_EMAIL)
    return formataddr(
        (newsletter.sender_name or default_name, newsletter.sender_email or default_address)
    )


def list_id(newsletter: Newsletter) -> str:
    domain = urlsplit(app_settings.SITE_URL).hostname or "localhost"
    # A quoted phrase, so a list name with a comma or brackets can't end the header early.
    name = newsletter.name.replace("\\", "").replace('"', "")
    return f'"{name}" <{newsletter.slug}.lists.{domain}>'


def unsubscribe_url(subscription: Subscription) -> str:
    token = make_unsubscribe_token(subscription.pk)
    return absolute_url(reverse("subscriptions:unsubscribe_link", args=[token]))


def preferences_path(subscriber_id: int) -> str:
    """The reader's preference-center link, as our pages show it."""
    token = make_preferences_token(subscriber_id)
    return reverse("subscriptions:preferences_link", args=[token])


def preferences_url(subscriber_id: int) -> str:
    """The same link, whole, as emails carry it."""
    return absolute_url(preferences_path(subscriber_id))


def reader(subscription: Subscription) -> Recipient | None:
    """A confirmed subscription's reader, with its own links; None for anything else (left,
    pending, undeliverable), which gets no list mail."""
    if subscription.status != Status.CONFIRMED:
        return None
    return Recipient(
        address=subscription.subscriber.email,
        language=subscription.subscriber.language,
        unsubscribe_url=unsubscribe_url(subscription),
        preferences_url=preferences_url(subscription.subscriber_id),
        # Only where a mailbox takes unsubscribes: signing is a good part of a reader's cost.
        mailto_token=make_unsubscribe_token(subscription.pk)
        if app_settings.UNSUBSCRIBE_MAILTO
        else "",
        metadata={"subscription": str(subscription.pk)},
    )


def tester(*, address: str, language: str, newsletter: Newsletter) -> Recipient:
    """An editor's test of a list's mail: its links carry tokens of the test purpose, which
    lead to a page saying so and change nothing (an unsubscribe token would name a real
    reader's subscription)."""
    return Recipient(
        address=address,
        language=language,
        unsubscribe_url=absolute_url(test_link_path(newsletter.pk, UNSUBSCRIBE_LINK)),
        preferences_url=absolute_url(test_link_path(newsletter.pk, PREFERENCES_LINK)),
        mailto_token=make_test_link_token(newsletter.pk, UNSUBSCRIBE_LINK),
        metadata={"test": "1"},
    )


def test_link_path(newsletter_id: int, link: str) -> str:
    return reverse("subscriptions:test_link", args=[make_test_link_token(newsletter_id, link)])


def messages(
    items: Sequence[tuple[int, Subscription, ListContent]],
) -> dict[int, AnymailMessage | None]:
    """The message of each (row id, subscription, content), in its reader's language; None
    where the subscription is not confirmed for its list (left, pending, undeliverable).
    The sender (delivery.py) has already set aside the rows for suppressed inboxes."""
    composed: dict[int, AnymailMessage | None] = {}
    for row_id, subscription, content in items:
        recipient = reader(subscription)
        composed[row_id] = recipient and message(recipient, subscription.newsletter, content)
    return composed


def message(recipient: Recipient, newsletter: Newsletter, content: ListContent) -> AnymailMessage:
    """One list message: every kind's, to a reader or to an editor's test alike."""
    with translation.override(recipient.language or None):
        parts = _parts(content, newsletter, recipient)
    mail = Mail(
        subject=parts.subject,
        body=parts.text,
        from_email=sender(newsletter),
        to=[recipient.address],
        reply_to=[newsletter.reply_to] if newsletter.reply_to else None,
        headers=_headers(newsletter, recipient),
    )
    mail.attach_alternative(parts.html, "text/html")
    mail.metadata = {**recipient.metadata, **content.metadata}
    return addressed(mail, newsletter, content)


def _headers(newsletter: Newsletter, recipient: Recipient) -> dict[str, str]:
    return {"List-Unsubscribe": unsubscribe_targets(recipient), **list_headers(newsletter)}


def unsubscribe_targets(recipient: Recipient) -> str:
    """The recipient's List-Unsubscribe: their one-click URL, and the mailbox where set."""
    targets = [f"<{recipient.unsubscribe_url}>"]
    if app_settings.UNSUBSCRIBE_MAILTO:
        # The subject names the subscription; the inbound webhook checks it came from its reader.
        token = quote(recipient.mailto_token)
        targets.append(f"<mailto:{app_settings.UNSUBSCRIBE_MAILTO}?subject=unsubscribe%20{token}>")
    return ", ".join(targets)


def list_headers(newsletter: Newsletter) -> dict[str, str]:
    """The headers every reader of the list gets alike."""
    return {
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": list_id(newsletter),
    }


def addressed(mail: Mail, newsletter: Newsletter, content: ListContent) -> Mail:
    """What every list message carries besides its parts and recipients: one tag, the kind;
    the list and the kind in its metadata; no click tracking; the list's provider options."""
    mail.tags = [content.kind]
    # anymail's UNSET where nothing was set yet
    own = mail.metadata if isinstance(mail.metadata, dict) else {}
    mail.metadata = {"kind": content.kind, "list": newsletter.slug, **own}
    mail.track_clicks = False  # a rewritten unsubscribe link would pass through the provider
    if app_settings.LIST_ESP_EXTRA:
        mail.esp_extra = json.loads(app_settings.LIST_ESP_EXTRA)
    return mail


def _parts(content: ListContent, newsletter: Newsletter, recipient: Recipient) -> Parts:
    return shared_parts(content, newsletter).filled(
        {
            "unsubscribe_url": recipient.unsubscribe_url,
            "preferences_url": recipient.preferences_url,
        }
    )


def shared_parts(content: ListContent, newsletter: Newsletter) -> Parts:
    """The message as every reader of the list gets it, in the current language, with
    markers where each reader's links go (Parts.filled)."""
    return _shared_parts(
        translation.get_language() or "",
        newsletter.name,
        (content.subject, content.html, content.preheader, content.web_url),
        (*site(), app_settings.POSTAL_ADDRESS.strip()),
    )


@lru_cache(maxsize=128)
def _shared_parts(
    language: str, list_name: str, words: tuple[str, str, str, str], layout: tuple[str, ...]
) -> Parts:
    """A list message as every reader of a list gets it, with markers for each reader's own
    links: rendered once per list, text and language, not once per reader (an edition goes
    to a whole list). The key holds everything the templates read: the content's words
    (subject, sanitised body, preheader, web address) and the layout's."""
    subject, body_html, preheader, web_url = words
    context = {
        "newsletter": {"name": list_name},
        # The text part is the HTML part's text, so it shows no Markdown syntax and nothing
        # the sanitiser took out of the HTML.
        "body_text": html_to_text(body_html),
        "body_html": mark_safe(body_html),  # noqa: S308 (sanitised)
        "subject": subject,
        "preheader": preheader,
        "web_url": web_url,
        "unsubscribe_url": marker("unsubscribe_url"),
        "preferences_url": marker("preferences_url"),
        "postal_address": layout[-1],
    }
    return render_parts("subscriptions/email/list", context)


@lru_cache(maxsize=128)
def render_markdown(text: str, policy: MarkdownPolicy = WELCOME_MARKDOWN) -> str:
    """An editor's text as HTML: Python-Markdown for the formatting, then nh3 (the ammonia
    sanitiser) keeps only the policy's tags, attributes and URL schemes, so no script, style,
    event attribute or `javascript:` link gets through (and, for the welcome email's policy,
    no image: no tracking pixel)."""
    html = markdown.markdown(text, output_format="html", extensions=list(policy.extensions))
    return nh3.clean(
        html,
        tags=set(policy.tags),
        attributes={tag: set(names) for tag, names in policy.attributes.items()},
        url_schemes=set(policy.url_schemes),
        allowed_classes={tag: set(names) for tag, names in policy.classes.items()},
        link_rel="noopener noreferrer",
    )


def welcome_content(subscription: Subscription, welcome_email_id: int) -> ListContent:
    newsletter = subscription.newsletter
    return ListContent(
        kind="welcome",
        subject=newsletter.welcome_subject,
        html=render_markdown(newsletter.welcome_body),
        metadata={"welcome_email": str(welcome_email_id)},
    )
