"""Production hardening: HTTPS headers, secure cookies, and a clean `check --deploy`."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User

from subscriptions.core import tokens

from .support.clean_process import production_env, run_clean

pytestmark = pytest.mark.django_db


def test_https_responses_with_debug_off_carry_the_hardening_headers(client):
    assert not django_settings.DEBUG
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    features = dict(item.split("=") for item in response["Permissions-Policy"].split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"):
        assert features[feature] == "()"


def test_session_and_csrf_cookies_are_secure_and_the_session_cookie_http_only(client):
    User.objects.create_superuser("kate", "kate@example.com", "pw")
    login = client.get("/admin/login/", secure=True)
    assert login.cookies["csrftoken"]["secure"]
    done = client.post(
        "/admin/login/?next=/admin/", {"username": "kate", "password": "pw"}, secure=True
    )
    assert done.status_code == 302
    assert done.cookies["sessionid"]["secure"]
    assert done.cookies["sessionid"]["httponly"]


def test_a_links_token_cookie_is_secure_in_production(client, newsletters):
    token = tokens.make_unsubscribe_token(1)
    cookie = client.get(f"/unsubscribe/{token}/", secure=True).cookies["unsubscribe_link"]
    assert cookie["secure"] and cookie["httponly"]


def check_deploy(var_dir, **env: str):
    """`manage.py check --deploy`, failing on warnings, as an operator runs it."""
    return run_clean(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        VAR_DIR=str(var_dir),
        **env,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = check_deploy(tmp_path, **production_env())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr.upper()


def test_check_deploy_fails_when_production_hardening_is_switched_off(tmp_path):
    # The test above is only worth something if check --deploy can see these settings fail.
    result = check_deploy(tmp_path, **production_env(SECURE_COOKIES="0", SECURE_HSTS_SECONDS="0"))
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W012" in result.stderr


def test_check_deploy_warns_while_list_mail_shows_no_postal_address(tmp_path):
    result = check_deploy(tmp_path, **production_env(POSTAL_ADDRESS=""))
    assert result.returncode != 0
    assert "subscriptions.W001" in result.stderr and "CAN-SPAM" in result.stderr


def test_check_deploy_warns_behind_a_proxy_that_names_no_client_ip_header(tmp_path):
    # Behind the proxy every request's REMOTE_ADDR is the proxy's: every reader would be one
    # client to the per-IP limits and axes, and a loopback METRICS_ALLOWED_IPS open to all.
    result = check_deploy(tmp_path, **production_env(CLIENT_IP_HEADER=""))
    assert result.returncode != 0
    assert "subscriptions.W002" in result.stderr and "CLIENT_IP_HEADER" in result.stderr


def test_check_deploy_warns_of_a_loopback_metrics_network_behind_a_proxy(tmp_path):
    result = check_deploy(
        tmp_path, **production_env(METRICS_ALLOWED_IPS="10.1.2.3,127.0.0.0/8,::1")
    )
    assert result.returncode != 0
    assert "subscriptions.W003" in result.stderr
    assert "127.0.0.0/8" in result.stderr and "::1" in result.stderr
    assert "10.1.2.3" not in result.stderr


def test_check_deploy_takes_loopback_metrics_networks_without_a_proxy(tmp_path):
    # gunicorn facing clients itself (or a PROXY-protocol listener): loopback is the host.
    env = production_env(BEHIND_TLS_PROXY="0", CLIENT_IP_HEADER="", METRICS_ALLOWED_IPS="::1")
    result = check_deploy(tmp_path, **env)
    assert result.returncode == 0, result.stderr
