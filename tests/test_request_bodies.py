"""What every page accepts as a body: small, UTF-8, no files; refused before reading.

Each of these was answered 200 (or 500) before: a 200 MB file part in a sign-up, `%FF%FE`
stored as replacement characters, a `charset=utf-16` body; then the same on the admin (issue 20
item 4: a 30 MB upload to the login page spooled to a temp file, a non-UTF-8 form gave 500).
"""

import base64
import html
from unittest import mock

import pytest
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client

from subscriptions import services
from subscriptions.core import tokens
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


def multipart(fields: dict[str, bytes], files: dict[str, bytes]) -> bytes:
    body = b""
    for name, value in fields.items():
        body += b'--zz\r\nContent-Disposition: form-data; name="%s"\r\n\r\n' % name.encode()
        body += value + b"\r\n"
    for name, content in files.items():
        body += b'--zz\r\nContent-Disposition: form-data; name="%s"; ' % name.encode()
        body += b'filename="upload.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        body += content + b"\r\n"
    return body + b"--zz--\r\n"


MULTIPART = "multipart/form-data; boundary=zz"
LOGIN = {"username": b"editor", "password": b"wrong"}


@pytest.fixture
def no_spooling():
    """Fails the request if any file part would be written to a temporary file."""
    with mock.patch.object(
        TemporaryFileUploadHandler, "new_file", side_effect=AssertionError("spooled")
    ):
        yield


@pytest.mark.parametrize("debug", [True, False])
def test_a_30_mb_upload_to_the_admin_login_is_refused_without_a_temp_file(
    db, settings, no_spooling, debug
):
    settings.DEBUG = debug
    body = multipart(LOGIN, {"file": b"x" * (30 * 1024 * 1024)})
    response = post_raw(Client(raise_request_exception=False), "/admin/login/", body, MULTIPART)
    assert response.status_code == 413
    assert "more than this page accepts" in response.content.decode()


def test_a_small_file_part_in_an_admin_form_is_refused(db, no_spooling):
    body = multipart(LOGIN, {"file": b"x" * 100})
    response = post_raw(Client(raise_request_exception=False), "/admin/login/", body, MULTIPART)
    assert response.status_code == 400
    assert "Files can't be sent here." in html.unescape(response.content.decode())


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"username=ed%FFitor&password=wrong", FORM),
        (b"username=ed\xffitor&password=wrong", FORM),
        ("username=editor&password=wrong".encode("utf-16"), f"{FORM}; charset=utf-16"),
        (multipart({"username": b"ed\xffitor", "password": b"x"}, {}), MULTIPART),
    ],
    ids=["percent-escape", "raw-byte", "utf-16", "multipart"],
)
def test_a_body_that_is_not_utf8_gets_a_4xx_from_the_admin_with_debug_on_or_off(
    db, settings, body, content_type, debug
):
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    response = post_raw(client, "/admin/login/", body, content_type)
    assert 400 <= response.status_code < 500


def test_a_view_allowed_to_take_files_takes_one_within_its_own_cap(db, settings):
    # The CSV import will be such a view; the admin's login stands in for it here.
    settings.UPLOAD_VIEWS = ("admin:login",)
    settings.UPLOAD_MAX_BODY = 64 * 1024
    client = Client(raise_request_exception=False)
    body = multipart(LOGIN, {"file": b"a,b\r\n1,2\r\n" * 100})
    assert post_raw(client, "/admin/login/", body, MULTIPART).status_code == 200
    too_large = multipart(LOGIN, {"file": b"x" * (65 * 1024)})
    assert post_raw(client, "/admin/login/", too_large, MULTIPART).status_code == 413


def test_other_pages_still_refuse_files_while_one_view_takes_them(client, newsletters, settings):
    settings.UPLOAD_VIEWS = ("admin:login",)
    body = multipart({"email": b"reader@example.com"}, {"file": b"x"})
    response = post_raw(client, "/subscribe/", body, MULTIPART)
    assert response.status_code == 400
    assert not RecordedSignUp.objects.exists()


def test_a_webhook_body_over_its_limit_is_refused_before_it_is_read(db):
    response = post_raw(
        Client(),
        "/anymail/postmark/tracking/",
        b"{}",
        "application/json",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
    )
    assert response.status_code == 413
