"""Lists editors put on pages themselves (issue 21): a sign-up page per offered list, the
footer's lists from the admin, and the embed code on a list's admin page."""

import html
import re

import pytest
from django.utils.safestring import mark_safe

from subscriptions.app_settings import app_settings
from subscriptions.core import catalog
from subscriptions.core.signals import newsletter_page
from subscriptions.models import Consent, Newsletter

from .support.helpers import sign_up

pytestmark = pytest.mark.django_db

FOOTER_CHECKBOX = re.compile(r'type="checkbox" name="newsletter" value="([^"]+)"')


def footer_lists(client) -> list[str]:
    page = client.get("/").content.decode()
    return FOOTER_CHECKBOX.findall(page[page.index('id="subscribe-footer"') :])


def create_in_admin(client, **fields) -> Newsletter:
    data = {"name": "Kyiv Nights", "slug": "kyiv-nights", "description": "After dark in Kyiv."}
    data |= {"is_active": "on", "is_public": "on", "sort_order": "25", **fields}
    answer = client.post("/admin/subscriptions/newsletter/add/", data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    return Newsletter.objects.get(slug=data["slug"])


def test_a_list_an_editor_creates_appears_on_the_footer_form_and_has_its_own_page(
    editor_client, newsletters
):
    create_in_admin(editor_client)
    # In the lists' sort order: 25 falls between Explaining Ukraine (20) and the weekly (30).
    assert footer_lists(editor_client) == [
        "daily",
        "explaining-ukraine",
        "kyiv-nights",
        "weekly-review",
        "breaking",
    ]
    page = editor_client.get("/newsletters/kyiv-nights/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Kyiv Nights</h1>" in text
    assert "After dark in Kyiv." in text
    assert ">Subscribe to Kyiv Nights</button>" in text
    assert '<input type="hidden" name="newsletter" value="kyiv-nights">' in text


def test_a_list_taken_off_public_forms_leaves_the_footer(client, newsletters):
    Newsletter.objects.filter(slug="weekly-review").update(is_public=False)
    catalog.forget()
    assert "weekly-review" not in footer_lists(client)


@pytest.mark.parametrize("slug", ["no-such-list", "inactive", "not-public"])
def test_an_unknown_inactive_or_unoffered_list_has_no_page(client, newsletters, slug):
    Newsletter.objects.create(name="Inactive", slug="inactive", is_active=False)
    Newsletter.objects.create(name="Not public", slug="not-public", is_public=False)
    catalog.forget()
    assert client.get(f"/newsletters/{slug}/").status_code == 404


def test_a_list_page_is_cacheable_with_no_per_visitor_token(client, newsletters):
    first, second = client.get("/newsletters/daily/"), client.get("/newsletters/daily/")
    assert first.status_code == 200
    assert "public" in first["Cache-Control"]
    assert "csrfmiddlewaretoken" not in first.content.decode()
    assert not first.cookies
    token = re.compile(rb'name="form_token" value="[^"]+"')
    assert token.sub(b"", first.content) == token.sub(b"", second.content)


def test_another_app_adds_its_section_to_a_list_page_through_the_signal(client, newsletters):
    def editions(sender, newsletter, request, **kwargs):
        return mark_safe(f'<section id="editions">Latest editions of {newsletter.slug}</section>')

    newsletter_page.connect(editions, dispatch_uid="test-editions")
    try:
        text = client.get("/newsletters/daily/").content.decode()
    finally:
        newsletter_page.disconnect(dispatch_uid="test-editions")
    assert '<section id="editions">Latest editions of daily</section>' in text


def embed_codes(client, newsletter: Newsletter) -> str:
    answer = client.get(f"/admin/subscriptions/newsletter/{newsletter.pk}/change/")
    assert answer.status_code == 200
    return html.unescape(answer.content.decode())


def test_a_lists_admin_page_shows_its_page_url_template_tag_and_html_snippet(
    editor_client, newsletters, settings
):
    settings.SITE_URL = "https://news.example"
    settings.PARTNER_ORIGINS = ("https://partner.example",)
    created = create_in_admin(editor_client)
    text = embed_codes(editor_client, created)
    assert "https://news.example/newsletters/kyiv-nights/" in text
    assert '{% subscribe_form "kyiv-nights" form_id="kyiv-nights" %}' in text
    start = text.index('<form class="subscribe')
    snippet = text[start : text.index("</script>", start)]
    assert 'action="https://news.example/subscribe/"' in snippet
    assert '<input type="hidden" name="newsletter" value="kyiv-nights">' in snippet
    assert 'name="form_token" value=""' in snippet  # the script fetches a fresh one
    assert f'name="{app_settings.SIGNUP_HONEYPOT_FIELD}"' in snippet
    assert 'name="email_checked"' in snippet and 'name="form_id"' in snippet
    assert 'src="https://news.example/static/js/subscribe.js"' in snippet
    # The editor is told where the snippet works, and where it is allowed now.
    assert "PARTNER_ORIGINS" in text and "https://partner.example" in text


def test_the_embed_code_says_when_no_partner_origin_is_listed(editor_client, newsletters):
    text = embed_codes(editor_client, newsletters["daily"])
    assert "PARTNER_ORIGINS" in text
    assert "No other origin is listed" in text


def test_a_list_not_offered_says_its_embed_code_shows_nothing_yet(editor_client, newsletters):
    created = create_in_admin(editor_client, is_public="")
    text = embed_codes(editor_client, created)
    assert "not offered on public forms" in text
    assert "<form" not in text[text.index("not offered on public forms") :]


@pytest.mark.parametrize(
    ("page", "recorded"),
    [
        (
            "https://partner.example/culture/kyiv-nights",
            "https://partner.example/culture/kyiv-nights",
        ),
        ("https://evil.example/culture/", ""),  # not a listed partner: dropped, never shown
        ("javascript://partner.example/%0aalert(1)", ""),
    ],
)
def test_a_sign_up_from_a_partner_page_records_that_page_in_the_consent(
    client, newsletters, settings, page, recorded
):
    settings.PARTNER_ORIGINS = ("https://partner.example",)
    answer = sign_up(client, "far@example.com", origin="https://partner.example", page=page)
    assert answer.status_code == 200
    assert Consent.objects.get().page_url == recorded
    assert f'href="{recorded or "/"}"' in answer.content.decode()  # the way back
