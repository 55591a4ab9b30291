"""Lists editors put on pages themselves, in a real browser: the admin's HTML snippet signs a
reader up from a page on another origin (a listed partner), and each list's own page."""

import functools
import html
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from subscriptions.admin.embed import embed_code
from subscriptions.models import Consent, Newsletter

from ..support.browser import (
    MAIL_WAIT,
    READER_SPEED,
    SCREENSHOTS,
    SCRIPT_ERRORS,
    email_field,
    expect_thank_you,
)
from ..support.stack import free_port

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def partner_site(tmp_path) -> Iterator[tuple[str, Path]]:
    """A partner's web server on another loopback port: another origin than the stack's."""
    folder = tmp_path / "partner"
    folder.mkdir()
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


def test_the_admins_html_snippet_signs_a_reader_up_from_a_partners_page(
    make_stack, partner_site, fake_postmark, open_page, settings
):
    partner, folder = partner_site
    stack = make_stack(PARTNER_ORIGINS=partner, **READER_SPEED)
    url = stack.start_web()
    stack.start_worker()
    # The snippet exactly as the list's admin page shows it, for this stack's SITE_URL.
    settings.SITE_URL = url
    daily = Newsletter.objects.get(slug="daily")
    snippet = str(embed_code(daily)).split('aria-label="HTML snippet">')[1].split("</textarea>")[0]
    page_html = f"<!doctype html><title>Partner</title><h1>A partner's story</h1>{snippet}"
    (folder / "story.html").write_text(html.unescape(page_html))

    page = open_page(partner)
    with page.expect_response(f"{url}/subscribe/form-token") as token_answer:
        page.goto("/story.html")
    assert token_answer.value.ok  # readable cross-origin: the partner is listed
    form = page.locator("form#subscribe-daily")
    expect(form.locator("input[name=form_token]")).not_to_have_value("")
    expect(form.locator("input[name=page]")).to_have_value(f"{partner}/story.html")

    email_field(form).fill("far-reader@gmial.com")  # the typo check works here too
    form.get_by_role("button", name="Subscribe").click()
    form.get_by_role("button", name="Yes, use far-reader@gmail.com").click()
    expect_thank_you(form)
    page.screenshot(path=SCREENSHOTS / "newsroom-partner-snippet.png", full_page=True)

    [message] = fake_postmark.wait_for(1, timeout=MAIL_WAIT)
    assert message["To"] == "far-reader@gmail.com"
    assert Consent.objects.get().page_url == f"{partner}/story.html"
    assert SCRIPT_ERRORS[page] == []


@pytest.mark.parametrize("width", [390, 1280])
def test_a_lists_own_page_fits_a_phone_and_a_desktop(web, open_page, width):
    page = open_page(web, viewport={"width": width, "height": 900})
    page.goto("/newsletters/explaining-ukraine/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Explaining Ukraine with Kate Tsurkan"
    )
    form = page.locator("form#subscribe-explaining-ukraine")
    expect(form.locator("input[name=form_token]")).not_to_have_value("")
    page.screenshot(path=SCREENSHOTS / f"newsroom-list-page-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    email_field(form).fill("list-page@example.com")
    form.get_by_role("button", name="Subscribe").click()
    expect_thank_you(form)
    assert SCRIPT_ERRORS[page] == []
