"""One layout for every email: the site's masthead over the body, one column of about 600 px
with inline styles and nothing fetched but the logo, and a plain-text part a person can read
(no Markdown syntax, no tag text, links as `text (url)`)."""

from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.template.loader import render_to_string

from subscriptions import services
from subscriptions.models import ConfirmationEmail, Subscription
from subscriptions.sending import emails, listmail
from subscriptions.tasks import send_due

from .support.helpers import found, latest_confirmation, preferences_link_for, sign_up

pytestmark = pytest.mark.django_db

LOGO = "https://cdn.example/newsroom-logo.png"
EDITORS_TEXT = (
    "## Welcome to **The Daily Brief**\n\n"
    "Every morning, *five* stories. Read [our site](https://news.example/about?a=1&b=2) "
    "or write to <mailto:desk@news.example>.\n\n"
    "- first\n- second with `code`\n\n"
    "Then:\n\n"
    "1. one\n2. two\n\n"
    "> A quote\n\n"
    "<script>alert('gotcha')</script>\n\n"
    "<b>kept</b> &amp; done\\_here"
)


@pytest.fixture
def every_email(client, newsletters, settings) -> dict[str, Any]:
    """A reader's confirmation, welcome and data-export emails, as the backend got them."""
    settings.SITE_NAME = "Kyiv Evening Post"
    daily = newsletters["daily"]
    daily.welcome_body = EDITORS_TEXT
    daily.save()
    sign_up(client, "reader@example.com", "daily")
    send_due.apply()
    services.confirm(email_id=latest_confirmation().pk)
    send_due.apply()
    preferences = listmail.preferences_path(Subscription.objects.get().subscriber_id)
    assert client.get(preferences, follow=True).status_code == 200
    assert client.post("/preferences/", {"action": "export"}).status_code == 200
    send_due.apply()
    by_kind = {kind_of(message): message for message in mail.outbox}
    assert set(by_kind) == {"confirmation", "welcome", "data_export"}
    return by_kind


def kind_of(message: Any) -> str:
    return message.tags[0]


def html_of(message: Any) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def masthead_of(html: str) -> str:
    return found(r'(?s)(<td class="masthead".*?</td>)', html)


def test_every_email_opens_with_the_sites_masthead(every_email):
    for kind, message in every_email.items():
        assert "Kyiv Evening Post" in masthead_of(html_of(message)), kind
        assert "<img" not in html_of(message), kind


def test_the_masthead_shows_the_logo_when_one_is_set(every_email, settings, client):
    settings.SITE_LOGO_URL = LOGO
    mail.outbox.clear()
    sign_up(client, "second@example.com", "daily")
    send_due.apply()
    services.confirm(email_id=latest_confirmation().pk)
    send_due.apply()
    assert {kind_of(m) for m in mail.outbox} == {"confirmation", "welcome"}
    for message in mail.outbox:
        masthead = masthead_of(html_of(message))
        assert f'src="{LOGO}"' in masthead and 'alt="Kyiv Evening Post"' in masthead


def test_every_email_is_one_column_of_600px_with_inline_styles_and_nothing_external(
    every_email,
):
    for kind, message in every_email.items():
        html = html_of(message)
        assert "max-width:600px" in html, kind
        assert "<style" not in html and "<link" not in html and "@import" not in html, kind
        assert "font-face" not in html and "fonts.googleapis" not in html, kind


def test_emails_other_than_list_mail_have_a_plain_footer_without_unsubscribe_links(
    every_email,
):
    for kind in ("confirmation", "data_export"):
        message = every_email[kind]
        for body in (message.body, html_of(message)):
            assert "unsubscribe" not in body.lower(), kind
            assert "/preferences/" not in body, kind
    welcome = every_email["welcome"]
    for body in (welcome.body, html_of(welcome)):
        assert "/unsubscribe/" in body
        assert preferences_link_for(body, "http://testserver") is not None
    assert welcome.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_welcome_text_part_reads_as_text_not_markdown(every_email):
    text = every_email["welcome"].body
    assert "Welcome to The Daily Brief" in text
    assert "Every morning, five stories." in text
    assert "our site (https://news.example/about?a=1&b=2)" in text
    assert "desk@news.example" in text and "mailto:" not in text
    assert "- first\n- second with code" in text
    assert "1. one\n2. two" in text
    assert "A quote" in text and "kept & done_here" in text


def test_no_text_part_shows_markdown_syntax_or_tag_text(every_email):
    for kind, message in every_email.items():
        text = message.body
        assert "**" not in text and "](" not in text and "##" not in text, kind
        assert "`" not in text and "&amp;" not in text, kind
        assert "<" not in text and ">" not in text, kind
        assert "alert" not in text and "gotcha" not in text, kind
    assert "gotcha" not in html_of(every_email["welcome"])


def test_a_list_email_for_many_readers_renders_its_templates_once(newsletters):
    daily = newsletters["daily"]
    daily.welcome_body = "A text no other test sends: **once**."
    daily.save()
    items = []
    for n in range(3):
        result = services.sign_up(email=f"r{n}@example.com", newsletters=[daily], consent=None)
        assert result.confirmation_email_id is not None
        services.confirm(email_id=result.confirmation_email_id)
        subscription = Subscription.objects.get(subscriber__email=f"r{n}@example.com")
        items.append((n, subscription, listmail.welcome_content(subscription, n)))
    with mock.patch(
        "subscriptions.sending.emails.render_to_string", wraps=render_to_string
    ) as render:
        sent = listmail.messages(items)
    assert render.call_count == 3  # the subject, the text and the HTML, for all three
    bodies = {message.body for message in sent.values() if message}
    assert len(bodies) == 3  # each with its own reader's links
    for message in sent.values():
        assert message is not None
        assert message.body.count("http://testserver/unsubscribe/") == 1
        assert message.alternatives[0][0].count('"http://testserver/unsubscribe/') == 1


def test_a_logo_given_as_a_path_is_linked_whole_on_the_site(newsletters, settings):
    settings.SITE_LOGO_URL = "/static/logo.png"
    result = services.sign_up(
        email="r@example.com", newsletters=[newsletters["daily"]], consent=None
    )
    assert result.confirmation_email_id is not None
    confirmation = ConfirmationEmail.objects.get(pk=result.confirmation_email_id)
    message = emails.confirmation_message(confirmation, list(Subscription.objects.all()))
    assert 'src="http://testserver/static/logo.png"' in masthead_of(html_of(message))
