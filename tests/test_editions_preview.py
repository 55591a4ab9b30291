"""An editor previews an edition as readers will get it: at 600 and 375 px, side by side, with
the text part, in a frame whose own response alone allows the email's styles (issue 24)."""

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from editions import services
from editions.models import Edition
from subscriptions.core.tokens import check_test_link_token

from .test_csp import STRICT, csp

pytestmark = pytest.mark.django_db

BODY = (
    "# Metro shelters\n\nSixty metres under the Dnipro.\n\n"
    "![Arsenalna at night](https://cdn.example/arsenalna.jpg)\n\n"
    "![An old pixel](http://tracker.example/pixel.gif)\n\n"
    "[Support our reporting](https://news.example/donate){.button}"
)


@pytest.fixture
def edition(newsletters) -> Edition:
    return services.create_draft(
        newsletter=newsletters["explaining-ukraine"],
        subject="Under the Dnipro",
        preheader="How Kyiv's metro became a shelter",
        body=BODY,
        author=None,
    )


def preview_url(edition: Edition) -> str:
    return f"/admin/editions/edition/{edition.pk}/preview/"


def test_the_preview_frames_the_email_at_600_and_375_px_with_its_text_part(editor_client, edition):
    page = editor_client.get(preview_url(edition))
    html = page.content.decode()
    frame = f'src="/admin/editions/edition/{edition.pk}/preview/email/?language=en"'
    assert html.count(frame) == 2
    assert 'width="600"' in html and 'width="375"' in html
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in html
    assert "srcdoc" not in html
    assert "Sixty metres under the Dnipro." in html  # the text part
    assert "Support our reporting (https://news.example/donate)" in html
    assert "Unsubscribe with one click:" in html  # the real footer


def test_the_preview_page_keeps_the_strict_csp_and_only_its_frame_allows_the_email(
    editor_client, edition
):
    page = editor_client.get(preview_url(edition))
    assert csp(page) == STRICT and page["X-Frame-Options"] == "DENY"
    email = editor_client.get(f"{preview_url(edition)}email/")
    policy = csp(email)
    assert policy["style-src"] == ["'unsafe-inline'"] and "https:" in policy["img-src"]
    assert policy["frame-ancestors"] == ["'self'"] and policy["default-src"] == ["'none'"]
    assert "script-src" not in policy  # no script: default-src 'none' covers it
    assert email["X-Frame-Options"] == "SAMEORIGIN"


def test_the_framed_email_is_the_readers_with_a_hidden_preheader_and_harmless_links(
    editor_client, edition
):
    html = editor_client.get(f"{preview_url(edition)}email/").content.decode()
    assert "How Kyiv&#x27;s metro became a shelter" in html.split("<table", 1)[0]
    assert "display:none" in html.split("How Kyiv", 1)[0].rsplit("<div", 1)[1]
    assert '<img src="https://cdn.example/arsenalna.jpg"' in html
    assert f'href="http://testserver/editions/{edition.pk}/"' in html  # View in browser
    # No reader's token: the footer's links are a test's, and name no subscription.
    assert "/unsubscribe/" not in html and "/preferences/" not in html
    links = html.split('href="http://testserver/test-link/')[1:]
    assert len(links) == 2
    assert all(check_test_link_token(link.split("/", 1)[0]) for link in links)


def test_the_preview_says_an_image_was_left_out(editor_client, edition):
    html = editor_client.get(preview_url(edition)).content.decode()
    assert "An image was left out: its address must start with https://" in html
    assert "http://tracker.example/pixel.gif" in html


def test_the_edition_page_links_to_its_preview(editor_client, edition):
    page = editor_client.get(f"/admin/editions/edition/{edition.pk}/change/")
    assert f'href="{preview_url(edition)}"' in page.content.decode()


def test_staff_who_may_not_see_editions_get_no_preview(edition):
    user = User.objects.create_user("intern", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_newsletter"))
    client = Client()
    client.force_login(user)
    assert client.get(preview_url(edition)).status_code == 403
    assert client.get(f"{preview_url(edition)}email/").status_code == 403


def test_a_preview_of_an_edition_that_doesnt_exist_is_a_404(editor_client):
    assert editor_client.get("/admin/editions/edition/999/preview/").status_code == 404
    assert editor_client.get("/admin/editions/edition/999/preview/email/").status_code == 404


def test_every_other_admin_page_of_editions_keeps_the_strict_csp(editor_client, edition):
    base = "/admin/editions/"
    pages = [
        "/admin/",
        base,
        f"{base}edition/",
        f"{base}edition/add/",
        f"{base}edition/{edition.pk}/change/",
        f"{base}edition/{edition.pk}/history/",
        f"{base}edition/{edition.pk}/delete/",
        f"{base}edition/{edition.pk}/preview/",
        f"{base}editiontest/",
        f"{base}editionmessage/",
    ]
    for page in pages:
        response = editor_client.get(page)
        assert response.status_code == 200, page
        assert csp(response) == STRICT and response["X-Frame-Options"] == "DENY", page
