"""Web security: CSP, production headers, check --deploy, admin login lockout, admin URL,
login redirects, and CORS for partner front ends."""

import fnmatch
import json
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from subscriptions import tokens
from subscriptions.captcha import PROVIDERS

from .support.helpers import latest_request, sign_up
from .support.stack import ROOT

pytestmark = pytest.mark.django_db

PARTNER = "https://partner.example"
EVIL = "https://evil.example"


def run_clean(args: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run a Python command in a fresh process with only PATH, HOME and the given environment."""
    clean = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env={**clean, **env}
    )


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


# --- Content-Security-Policy -----------------------------------------------------------------


class InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block, and the external scripts."""

    def __init__(self):
        super().__init__()
        self.external_scripts: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self._in_script = True
            if attributes.get("src"):
                self.external_scripts.append(attributes["src"])
            else:
                self.inline.append(f"<script> without src: {self.get_starttag_text()}")
        if tag == "style":
            self.inline.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.inline.append(f"event handler attribute {name}= on <{tag}>")
            if name == "style":
                self.inline.append(f"style= attribute on <{tag}>")
            if name in ("href", "src", "action") and (value or "").strip().startswith(
                "javascript:"
            ):
                self.inline.append(f"javascript: URL on <{tag}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(f"script body: {data.strip()[:60]}")


def page_confirm(client):
    sign_up(client, "reader@example.com", "daily")
    client.get(f"/confirm/{tokens.make_confirm_token(latest_request().pk)}/")
    return client.get("/confirm/")


def page_subscribe_result(client):
    return sign_up(client, "reader@example.com", "daily")  # the no-JavaScript answer page


def page_dev_mailbox(client, settings):
    settings.DEBUG = True
    return client.get("/dev/mailbox/")


PAGES = {
    "article": lambda client, settings: client.get("/"),
    "confirm": lambda client, settings: page_confirm(client),
    "subscribe result": lambda client, settings: page_subscribe_result(client),
    "dev mailbox (DEBUG)": page_dev_mailbox,
    "admin login": lambda client, settings: client.get("/admin/login/"),
}


@pytest.mark.parametrize("page", PAGES)
def test_served_pages_have_no_inline_script_or_style_and_carry_the_csp(
    client, settings, newsletters, page
):
    response = PAGES[page](client, settings)
    assert response.status_code == 200
    parser = InlineCode()
    parser.feed(response.content.decode())
    assert parser.external_scripts, "no <script src> found: the page is not what we think"
    assert parser.inline == []
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_csp_allows_only_this_site_and_forbids_framing_plugins_and_base_changes(client):
    policy = csp(client.get("/"))
    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }


def csp_for_captcha(provider: str) -> dict[str, list[str]]:
    code = "import json, newsroom.settings as s; print(json.dumps(s.CONTENT_SECURITY_POLICY))"
    result = run_clean(["-c", code], DEBUG="1", CAPTCHA_PROVIDER=provider)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["DIRECTIVES"]


def allows(sources: list[str], url: str) -> bool:
    """CSP source matching, enough for scheme://host[/path/] sources with a leading *."""
    parts = urlsplit(url)
    for source in sources:
        src = urlsplit(source)
        if src.scheme != parts.scheme or not fnmatch.fnmatch(parts.netloc, src.netloc):
            continue
        if not src.path or (src.path.endswith("/") and parts.path.startswith(src.path)):
            return True
        if src.path == parts.path:
            return True
    return False


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_a_configured_captcha_widget_script_is_allowed_and_nothing_else_is(provider):
    directives = csp_for_captcha(provider)
    assert allows(directives["script-src"], PROVIDERS[provider].script)
    assert directives["script-src"][0] == "'self'"
    # Adding the provider never opens inline script, nor any other site's scripts.
    assert "'unsafe-inline'" not in json.dumps(directives)
    assert not allows(directives["script-src"], "https://cdn.jsdelivr.net/npm/evil/x.js")
    assert not allows(directives["script-src"], "https://evil.example/api.js")
    if provider in ("turnstile", "hcaptcha"):  # both draw their challenge in a frame
        assert allows(directives["frame-src"], PROVIDERS[provider].script)


def test_without_a_captcha_no_third_party_origin_is_in_the_csp():
    assert "https://" not in json.dumps(csp_for_captcha(""))


def test_an_unknown_captcha_provider_stops_startup():
    code = "import newsroom.settings"
    result = run_clean(["-c", code], DEBUG="1", CAPTCHA_PROVIDER="recaptcha")
    assert result.returncode != 0
    assert "CAPTCHA_PROVIDER must be one of" in result.stderr


# --- Production headers ----------------------------------------------------------------------


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


def production_env(**extra: str) -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "news.example",
        "SITE_URL": "https://news.example",
        "PARTNER_ORIGINS": PARTNER,
        "DATABASE_URL": "postgres://news@db.internal:5432/news",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        # Preloading is an operator's decision for the whole domain (hard to undo), so it is
        # opt-in, and check --deploy rightly warns (security.W021) until it is made.
        "SECURE_HSTS_PRELOAD": "1",
        **extra,
    }


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_clean(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        VAR_DIR=str(tmp_path),
        **production_env(),
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr.upper()


def test_check_deploy_fails_when_production_hardening_is_switched_off(tmp_path):
    # The test above is only worth something if check --deploy can see these settings fail.
    result = run_clean(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        VAR_DIR=str(tmp_path),
        **production_env(SECURE_COOKIES="0", SECURE_HSTS_SECONDS="0"),
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W012" in result.stderr


# --- Admin login: brute-force lockout, redirects, configurable URL ----------------------------


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
    assert "too many login attempts" in response.content.decode()
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
    from axes.models import AccessAttempt

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
        ADMIN_URL="/backstage-7f3a/",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == [
        "/admin/login/ 404 False",
        "/backstage-7f3a/login/ 200 True",
    ]


# --- Cross-origin sign-ups from partner front ends --------------------------------------------


@pytest.fixture
def partner(settings):
    # settings.py derives both from the PARTNER_ORIGINS variable (tested below); set both here.
    settings.PARTNER_ORIGINS = [PARTNER]
    settings.CORS_ALLOWED_ORIGINS = [PARTNER]
    return PARTNER


def test_cors_origins_are_the_partner_origins():
    code = "import json, newsroom.settings as s; print(json.dumps(s.CORS_ALLOWED_ORIGINS))"
    result = run_clean(["-c", code], DEBUG="1", PARTNER_ORIGINS=f"{PARTNER},https://b.example")
    assert json.loads(result.stdout) == [PARTNER, "https://b.example"]


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",")}


def test_partner_sign_up_is_accepted_and_readable_by_the_partner_page(
    client, newsletters, partner
):
    response = sign_up(client, "reader@example.com", json=True, origin=partner)
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response["Access-Control-Allow-Origin"] == partner
    assert "origin" in vary(response)
    assert "Access-Control-Allow-Credentials" not in response


def test_partner_preflight_allows_post_with_content_type_and_accept(client, partner):
    response = client.options(
        "/subscribe/",
        HTTP_ORIGIN=partner,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == partner
    assert response["Access-Control-Allow-Methods"] == "POST"
    assert response["Access-Control-Allow-Headers"] == "accept, content-type"
    assert "Access-Control-Allow-Credentials" not in response


def test_partner_page_can_fetch_a_fresh_form_token(client, partner):
    response = client.get(reverse("subscriptions:form_token"), HTTP_ORIGIN=partner)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == partner


@pytest.mark.parametrize("origin", [EVIL, "null", "http://partner.example"])
def test_other_origins_get_no_cors_headers_and_their_post_is_refused(
    client, newsletters, partner, origin
):
    response = sign_up(client, "reader@example.com", json=True, origin=origin)
    assert response.status_code == 403
    assert not any(h.lower().startswith("access-control-") for h in response.headers)
    preflight = client.options(
        "/subscribe/", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert not any(h.lower().startswith("access-control-") for h in preflight.headers)
    assert latest_request() is None


def test_cors_is_limited_to_the_sign_up_endpoints(client, partner):
    for path in ("/", "/admin/login/", "/healthz"):
        response = client.get(path, HTTP_ORIGIN=partner)
        assert "Access-Control-Allow-Origin" not in response, path
