"""Seeing an email as a reader does (issue 21): one email's HTML part on a page of its own,
with the CSP the email needs and framable by our own pages only; the dev mailbox frames it."""

import re

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from newsroom import devmail

from .test_csp import csp

pytestmark = pytest.mark.django_db

HTML = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"></head>'
    '<body style="color: #111"><p><a href="http://testserver/confirm/abc/">Confirm</a></p>'
    '<img src="https://cdn.example/logo.png" alt=""></body></html>'
)


@pytest.fixture
def mailbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "newsroom.devmail.EmailBackend"
    settings.DEV_MAIL_DIR = tmp_path
    settings.DEBUG = True
    message = EmailMultiAlternatives(
        "Please confirm",
        "Open http://testserver/confirm/abc/ now",
        "Newsroom <newsletters@example.com>",
        ["reader@example.com"],
        headers={"List-Unsubscribe": "<https://testserver/unsubscribe/tok/>"},
    )
    message.attach_alternative(HTML, "text/html")
    message.send()
    [path] = tmp_path.glob("*.eml")
    return path


def frame_urls(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<iframe[^>]*src="([^"]+)"[^>]*width="(\d+)"', page)


def test_each_email_in_the_dev_mailbox_shows_its_html_at_600_and_375_px_beside_its_headers(
    client, mailbox
):
    page = client.get("/dev/mailbox/").content.decode()
    url = f"/dev/mailbox/{mailbox.name}/html/"
    assert frame_urls(page) == [(url, "600"), (url, "375")]
    assert "srcdoc" not in page  # a srcdoc frame would run under this page's own CSP
    for header in ("From", "To", "Subject", "Date", "List-Unsubscribe"):
        assert f"<dt>{header}:</dt>" in page
    assert "&lt;https://testserver/unsubscribe/tok/&gt;" in page
    assert '<a href="http://testserver/confirm/abc/"' in page  # the text part, links clickable


def test_the_email_page_allows_the_emails_inline_styles_and_https_images_and_no_script(
    client, mailbox
):
    response = client.get(f"/dev/mailbox/{mailbox.name}/html/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert csp(response) == {
        "default-src": ["'none'"],  # so no script, font, frame or connection of any kind
        "style-src": ["'unsafe-inline'"],
        "img-src": ["'self'", "https:", "data:"],
        "form-action": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'self'"],
        "sandbox": ["allow-popups", "allow-popups-to-escape-sandbox"],
    }
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in response["Cache-Control"]  # it holds the reader's link tokens


def test_links_in_the_email_page_open_a_new_tab_not_inside_the_frame(client, mailbox):
    body = client.get(f"/dev/mailbox/{mailbox.name}/html/").content.decode()
    # Our own pages refuse to be framed: a link followed inside the frame would show nothing.
    assert body.startswith('<!doctype html><html lang="en"><head><base target="_blank">')
    assert '<a href="http://testserver/confirm/abc/">Confirm</a>' in body


def test_only_the_email_itself_gets_the_email_policy_not_a_refused_method(client, mailbox):
    response = client.post(f"/dev/mailbox/{mailbox.name}/html/")
    assert response.status_code == 405
    assert csp(response)["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_mailbox_page_itself_keeps_the_strict_csp_and_refuses_framing(client, mailbox):
    response = client.get("/dev/mailbox/")
    assert csp(response)["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "name",
    [
        "..%2F..%2Fnewsroom%2Fsettings.py",
        "%2E%2E",
        "notes.eml",  # in the folder, but not a name the mailbox writes
        "20250101T000000000000-0123abcd.eml",  # the mailbox's form, but no such message
        "20250101T000000000000-0123abcd.eml.tmp",
    ],
)
def test_only_a_message_the_mailbox_wrote_is_served(client, mailbox, name):
    (mailbox.parent / "notes.eml").write_bytes(mailbox.read_bytes())
    assert client.get(f"/dev/mailbox/{name}/html/").status_code == 404


def test_a_name_outside_the_mailbox_is_refused_before_any_file_is_read(mailbox):
    (mailbox.parent.parent / "secret.eml").write_bytes(mailbox.read_bytes())
    assert devmail.read_html(f"../{mailbox.parent.parent.name}/secret.eml") is None
    assert devmail.read_html("../secret.eml") is None
    assert devmail.read_html(mailbox.name) is not None


def test_an_email_without_an_html_part_has_no_frame_and_no_page(client, settings, tmp_path):
    settings.EMAIL_BACKEND = "newsroom.devmail.EmailBackend"
    settings.DEV_MAIL_DIR = tmp_path
    settings.DEBUG = True
    mail.send_mail("Hello", "Text only", None, ["r@example.com"])
    [path] = tmp_path.glob("*.eml")
    assert frame_urls(client.get("/dev/mailbox/").content.decode()) == []
    assert client.get(f"/dev/mailbox/{path.name}/html/").status_code == 404


def test_the_email_page_does_not_exist_without_debug(client, mailbox, settings):
    settings.DEBUG = False
    assert client.get(f"/dev/mailbox/{mailbox.name}/html/").status_code == 404
