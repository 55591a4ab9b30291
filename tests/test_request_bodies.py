"""What reader-facing pages accept as a body: small, UTF-8, no files; refused before reading.

Each of these was answered 200 (or 500) before: a 200 MB file part in a sign-up, `%FF%FE`
stored as replacement characters, a `charset=utf-16` body.
"""

import base64
import html
from unittest import mock

import pytest
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client

from subscriptions import services, tokens
from subscriptions.models import RecordedSignUp, Subscription

from .support.helpers import form_token, latest_confirmation, sign_up

pytestmark = pytest.mark.django_db

READER_PAGES = [
    "/subscribe/",
    "/subscribe/form-token",
    "/confirm/",
    "/confirm/resend/",
    "/unsubscribe/",
    "/unsubscribe/{token}/",
    "/preferences/",
    "/preferences/{token}/",
    "/your-data/",
    "/your-data/{token}/",
]
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def confirmed(client, newsletters) -> Subscription:
    sign_up(client, "reader@example.com")
    services.confirm(email_id=latest_confirmation().pk)
    return Subscription.objects.get()


def page(path: str, subscription_id: int = 1) -> str:
    return path.format(token=tokens.make_unsubscribe_token(subscription_id))


def signup_body(email: str = "reader%40example.com") -> bytes:
    fields = f"email={email}&newsletter=daily&form_id=daily&page=%2F"
    return f"{fields}&form_token={form_token()}".encode()


def post_raw(client, path: str, body: bytes, content_type: str, **extra):
    return client.generic(
        "POST", path, body, content_type=content_type, HTTP_ORIGIN="http://testserver", **extra
    )


@pytest.mark.parametrize("path", READER_PAGES)
def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(client, newsletters, path):
    # The declared length is 200 MB; the test client holds 10 bytes, and fails any read
    # past them, so a 413 here means nothing tried to read the body.
    response = post_raw(
        client, page(path), b"email=x%40", FORM, CONTENT_LENGTH=str(200 * 1024 * 1024)
    )
    assert response.status_code == 413
    assert "more than this page accepts" in response.content.decode()


def test_a_file_part_in_a_sign_up_is_refused_and_never_spooled_to_disk(client, newsletters):
    spooled = mock.patch.object(
        TemporaryFileUploadHandler, "new_file", side_effect=AssertionError("spooled")
    )
    with spooled, open(__file__, "rb") as attachment:
        fields = {"email": "reader@example.com", "newsletter": "daily", "form_token": form_token()}
        response = client.post(
            "/subscribe/", {**fields, "file": attachment}, HTTP_ORIGIN="http://testserver"
        )
    assert response.status_code == 400
    assert "Files can't be sent here." in html.unescape(response.content.decode())
    assert not RecordedSignUp.objects.exists()


def test_a_large_multipart_sign_up_is_refused_by_its_length(client, newsletters, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # Django's own rules would spool any file part
    body = b"x" * (40 * 1024)
    response = post_raw(client, "/subscribe/", body, "multipart/form-data; boundary=zz")
    assert response.status_code == 413
    assert not RecordedSignUp.objects.exists()


def test_the_one_click_multipart_body_of_rfc_8058_is_still_accepted(confirmed):
    token = tokens.make_unsubscribe_token(confirmed.pk)
    provider = Client(enforce_csrf_checks=True)  # multipart/form-data, as Gmail sends it
    response = provider.post(f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    confirmed.refresh_from_db()
    assert confirmed.status == "unsubscribed"


def test_the_one_click_urlencoded_body_is_still_accepted(confirmed):
    token = tokens.make_unsubscribe_token(confirmed.pk)
    response = post_raw(Client(), f"/unsubscribe/{token}/", b"List-Unsubscribe=One-Click", FORM)
    assert response.status_code == 200
    confirmed.refresh_from_db()
    assert confirmed.status == "unsubscribed"


def test_the_admin_keeps_djangos_larger_limit(client, db):
    # 40 KiB is over a reader page's limit, and well under the admin's.
    body = b"username=kate&password=" + b"x" * (40 * 1024)
    response = post_raw(client, "/admin/login/", body, FORM)
    assert response.status_code != 413
    assert "Request refused" not in response.content.decode()


@pytest.mark.parametrize("encoded", ["%FF%FE%40example.com", "reader%C0%40example.com"])
def test_percent_escapes_that_are_not_utf8_are_refused_not_stored(client, newsletters, encoded):
    response = post_raw(client, "/subscribe/", signup_body(encoded), FORM)
    assert response.status_code == 400
    assert not RecordedSignUp.objects.exists()


def test_raw_bytes_that_are_not_utf8_are_refused(client, newsletters):
    body = signup_body().replace(b"reader", b"r\xffader")
    response = post_raw(client, "/subscribe/", body, FORM)
    assert response.status_code == 400
    assert not RecordedSignUp.objects.exists()


def test_a_utf8_body_still_signs_up(client, newsletters):
    body = signup_body("reader%40b%C3%BCcher.de")
    response = post_raw(client, "/subscribe/", body, f"{FORM}; charset=UTF-8")
    assert response.status_code == 200
    assert RecordedSignUp.objects.get().email == "reader@xn--bcher-kva.de"


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("path", READER_PAGES)
def test_a_body_in_another_charset_gets_a_4xx_with_debug_on_or_off(
    client, newsletters, settings, path, debug
):
    settings.DEBUG = debug
    body = signup_body().decode().encode("utf-16")
    response = post_raw(client, page(path), body, f"{FORM}; charset=utf-16")
    assert 400 <= response.status_code < 500
    assert not RecordedSignUp.objects.exists()


def test_refusals_answer_the_forms_script_in_json(client, newsletters):
    response = post_raw(
        client,
        "/subscribe/",
        b"x",
        FORM,
        CONTENT_LENGTH="999999999",
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 413
    assert response.json()["ok"] is False
    assert "more than this page accepts" in response.json()["errors"]["form"]


def test_a_base64_part_that_is_not_utf8_is_refused(client, newsletters):
    parts = [
        ("email", None, b"reader@example.com"),
        ("newsletter", None, b"daily"),
        ("form_token", None, form_token().encode()),
        ("page", "base64", base64.b64encode(b"/\xff\xfe/")),
    ]
    body = b""
    for name, encoding, value in parts:
        body += b'--zz\r\nContent-Disposition: form-data; name="%s"\r\n' % name.encode()
        if encoding:
            body += b"Content-Transfer-Encoding: base64\r\n"
        body += b"\r\n" + value + b"\r\n"
    body += b"--zz--\r\n"
    response = post_raw(client, "/subscribe/", body, "multipart/form-data; boundary=zz")
    assert response.status_code == 400
    assert not RecordedSignUp.objects.exists()


def test_a_one_click_body_of_another_type_is_not_read_and_unsubscribes_nothing(confirmed):
    # Not RFC 8058's body (issue 20 item 12: an empty text/plain POST unsubscribed).
    token = tokens.make_unsubscribe_token(confirmed.pk)
    response = post_raw(Client(), f"/unsubscribe/{token}/", b"anything", "text/plain")
    assert response.status_code == 400
    confirmed.refresh_from_db()
    assert confirmed.status == "confirmed"
