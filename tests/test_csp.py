"""Content-Security-Policy: no inline script or style on any page, only this site's sources,
and a configured captcha provider's widget script and nothing else."""

import fnmatch
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import URLResolver, get_resolver

from subscriptions.core import tokens
from subscriptions.guards.captcha import PROVIDERS

from .support.clean_process import run_clean
from .support.helpers import latest_confirmation, sign_up

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


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
    client.get(f"/confirm/{tokens.make_confirm_token(latest_confirmation().pk)}/")
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


def widget_page(client, settings, one_rate_window, provider: str):
    """The answer page over the per-IP limit: the one page that shows a captcha's widget."""
    one_rate_window()
    settings.CAPTCHA_PROVIDER = provider
    settings.SIGNUP_IP_LIMITS = "1/minute"
    sign_up(client, "colleague@example.com", ip="198.51.100.7", json=True)
    page = sign_up(client, "reader@example.com", ip="198.51.100.7")
    assert page.status_code == 429
    return page


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
def test_a_configured_captcha_widget_script_is_allowed_and_nothing_else_is(
    client, settings, newsletters, one_rate_window, provider
):
    page = widget_page(client, settings, one_rate_window, provider)
    assert PROVIDERS[provider].script in page.content.decode()
    directives = csp(page)
    assert allows(directives["script-src"], PROVIDERS[provider].script)
    assert directives["script-src"][0] == "'self'"
    # Adding the provider never opens inline script, nor any other site's scripts.
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]
    assert not allows(directives["script-src"], "https://cdn.jsdelivr.net/npm/evil/x.js")
    assert not allows(directives["script-src"], "https://evil.example/api.js")
    if provider in ("turnstile", "hcaptcha"):  # both draw their challenge in a frame
        assert allows(directives["frame-src"], PROVIDERS[provider].script)
        assert directives["frame-src"][0] == "'self'"  # as default-src gave it before
    # The rest is the site's own policy.
    kept = ("default-src", "img-src", "form-action", "frame-ancestors", "base-uri", "object-src")
    assert {d: directives[d] for d in kept} == {d: STRICT[d] for d in kept}


def test_a_configured_captcha_opens_no_page_but_the_one_with_its_widget(
    client, settings, newsletters
):
    settings.CAPTCHA_PROVIDER = "hcaptcha"
    assert "https://" not in client.get("/")["Content-Security-Policy"]


def test_without_a_captcha_no_third_party_origin_is_in_the_csp(
    client, settings, newsletters, one_rate_window
):
    page = widget_page(client, settings, one_rate_window, "")
    assert "https://" not in page["Content-Security-Policy"]


def test_an_unknown_captcha_provider_stops_startup(tmp_path):
    result = run_clean(
        ["manage.py", "check"], DEBUG="1", VAR_DIR=str(tmp_path), CAPTCHA_PROVIDER="recaptcha"
    )
    assert result.returncode != 0
    assert "CAPTCHA_PROVIDER must be one of" in result.stderr
    assert "'recaptcha'" in result.stderr


STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}


def routes_without_arguments(patterns=None, prefix: str = "") -> list[str]:
    """Every URL the project routes that takes no argument (the admin's index, login…)."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += routes_without_arguments(pattern.url_patterns, route)
        elif "<" not in route and "(" not in route and not route.startswith("^"):
            found.append("/" + route.lstrip("^").rstrip("$"))
    return sorted(set(found))


@pytest.mark.parametrize("route", routes_without_arguments())
def test_every_other_page_keeps_the_strict_csp_and_refuses_framing(client, settings, route):
    settings.DEBUG = True  # the dev mailbox exists, and the email page's route with it
    response = client.get(route)
    if response.status_code == 404:  # django-csp leaves DEBUG's 404 page alone
        settings.DEBUG = False
        response = client.get(route)
    assert csp(response) == STRICT, route
    assert response["X-Frame-Options"] == "DENY", route
