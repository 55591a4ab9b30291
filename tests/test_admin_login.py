"""The admin login: brute-force lockout, redirects that stay on site, and the configurable
admin URL."""

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from .support.clean_process import run_clean
from .support.helpers import EVIL

pytestmark = pytest.mark.django_db


@pytest.fixture
def editors(db):
    User.objects.create_superuser("kate", "kate@example.com", "right")
    User.objects.create_superuser("lev", "lev@example.com", "right")


def admin_login(client, username: str, password: str, ip: str = "198.51.100.7", **extra):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        **extra,
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, username: str, times: int, **kwargs) -> list[int]:
    return [admin_login(client, username, "wrong", **kwargs).status_code for _ in range(times)]


def test_failure_limit_is_five_by_default():
    assert django_settings.AXES_FAILURE_LIMIT == 5


def test_four_wrong_passwords_then_the_right_one_logs_in(client, editors):
    assert fail(client, "kate", 4) == [200] * 4  # the form again, with its error
    assert admin_login(client, "kate", "right").status_code == 302
    assert logged_in(client)


def test_five_wrong_passwords_then_the_right_one_is_refused(client, editors):
    # The fifth failure reaches the limit and is already answered with the lockout.
    assert fail(client, "kate", 5) == [200] * 4 + [429]
    response = admin_login(client, "kate", "right")
    assert response.status_code == 429
    page = response.content.decode()
    # The site's page, as for the per-IP limit, not axes' line of plain text.
    assert "Too many failed sign-ins to this account" in page and "<html" in page
    assert response["Content-Type"].startswith("text/html")
    assert not logged_in(client)


def test_a_lockout_leaves_other_users_and_the_same_user_elsewhere_alone(client, editors):
    fail(client, "kate", 5, ip="198.51.100.7")
    other_user = Client()
    assert admin_login(other_user, "lev", "right", ip="198.51.100.7").status_code == 302
    assert logged_in(other_user)
    same_user_elsewhere = Client()
    assert admin_login(same_user_elsewhere, "kate", "right", ip="203.0.113.9").status_code == 302
    assert logged_in(same_user_elsewhere)


def test_a_lockout_lifts_after_an_hour(client, editors):
    fail(client, "kate", 5)
    assert admin_login(client, "kate", "right").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=1, minutes=1))
    assert admin_login(client, "kate", "right").status_code == 302


def test_lockout_keys_on_the_client_ip_the_proxy_reports(client, settings, editors):
    # Behind the proxy every request has the proxy's REMOTE_ADDR; the client is in the header.
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    fail(client, "kate", 5, ip="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    locked = admin_login(
        client, "kate", "right", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert locked.status_code == 429
    other = Client()
    allowed = admin_login(
        other, "kate", "right", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert allowed.status_code == 302


@pytest.mark.parametrize("target", [EVIL, "//evil.example/", "https:/evil.example"])
def test_admin_login_never_redirects_off_site(client, editors, target):
    response = client.post(
        f"/admin/login/?next={target}", {"username": "kate", "password": "right"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert response["Location"].startswith("/")


def test_admin_login_follows_a_local_next(client, editors):
    wanted = "/admin/subscriptions/subscription/"
    response = client.post(
        f"/admin/login/?next={wanted}", {"username": "kate", "password": "right"}
    )
    assert response["Location"] == wanted


ADMIN_PROBE = """
import django
django.setup()
from django.test import Client
client = Client()
for path in ("/admin/login/", "/backstage-7f3a/login/"):
    response = client.get(path, secure=True)
    print(path, response.status_code, 'id="login-form"' in response.content.decode())
"""


def test_admin_url_comes_from_the_environment_and_admin_is_gone(tmp_path, static_root):
    result = run_clean(
        ["-c", ADMIN_PROBE],
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        VAR_DIR=str(tmp_path),
        STATIC_ROOT=str(static_root),  # collected, as DEBUG off serves from the manifest
        DEBUG="0",
        SECRET_KEY="probe",
        ALLOWED_HOSTS="testserver",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        ANYMAIL_WEBHOOK_SECRET="anymail:probe",
        ERASURE_HASH_KEY="probe",
        ADMIN_URL="/backstage-7f3a/",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == [
        "/admin/login/ 404 False",
        "/backstage-7f3a/login/ 200 True",
    ]


def test_one_ip_trying_many_usernames_is_refused_after_its_limit(client, editors, one_rate_window):
    one_rate_window()
    # 30 usernames, one wrong password each: axes locks no username + IP pair.
    statuses = [admin_login(client, f"guess{i}", "wrong").status_code for i in range(30)]
    assert statuses == [200] * 30
    refused = admin_login(client, "kate", "right")
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.content.decode()
    assert not logged_in(client)
    # Another address is not held back by that one.
    other = Client()
    assert admin_login(other, "kate", "right", ip="203.0.113.9").status_code == 302


def test_the_ip_limit_counts_failures_only(client, editors, settings, one_rate_window):
    settings.ADMIN_LOGIN_IP_LIMIT = "3/hour"
    one_rate_window()
    for _ in range(5):
        assert admin_login(Client(), "kate", "right").status_code == 302
    assert fail(client, "nobody", 3) == [200] * 3
    assert admin_login(client, "kate", "right").status_code == 429


def test_the_ip_limit_is_thirty_an_hour_by_default():
    assert django_settings.ADMIN_LOGIN_IP_LIMIT == "30/hour"


def test_with_the_ip_limit_switched_off_failures_are_not_limited_nor_alarmed(
    client, editors, settings, caplog
):
    settings.ADMIN_LOGIN_IP_LIMIT = ""
    settings.AXES_FAILURE_LIMIT = 100  # axes' own lock on one username is not what this tests
    assert fail(client, "nobody", 40) == [200] * 40
    assert admin_login(client, "kate", "right").status_code == 302
    assert "login_limit.unavailable" not in caplog.text


@pytest.mark.parametrize("password", ["1", "k7#Qm2!xZp9"], ids=["one character", "eleven"])
def test_changepassword_refuses_a_short_password(editors, monkeypatch, password):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": password)
    errors = io.StringIO()
    with pytest.raises(CommandError, match="after 3 attempts"):
        call_command("changepassword", "kate", stdout=io.StringIO(), stderr=errors)
    assert "This password is too short. It must contain at least 12 characters." in (
        errors.getvalue()
    )
    assert User.objects.get(username="kate").check_password("right")


def test_a_password_must_be_long_not_common_not_numeric_nor_like_the_username(editors):
    kate = User.objects.get(username="kate")
    for weak in ("password1234", "123456789012345", "kate@example.com"):
        with pytest.raises(ValidationError):
            validate_password(weak, kate)
    validate_password("plum-orbit-lantern-42", kate)  # a passphrase of 12 or more passes
