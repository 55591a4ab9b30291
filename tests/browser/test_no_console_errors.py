"""No page a reader or an editor sees logs an error in the browser console, or fails a
request: production-like (DEBUG off, collected static files) and as `make run` serves it."""

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from playwright.sync_api import ConsoleMessage, Page, Response, expect

from subscriptions import services
from subscriptions.core.tokens import make_confirm_token, make_unsubscribe_token
from subscriptions.models import Subscription

from ..support.browser import (
    READER_SPEED,
    email_field,
    expect_error_beside_field,
    expect_thank_you,
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def record_problems(page: Page) -> list[str]:
    """Everything a reader's browser console would show in red, and every failed request.

    Chromium fetches /favicon.ico from its browser process, so no request or response event
    reports it; only its console error does, just after the page has loaded (hence settle()).
    """
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text} ({message.location.get('url')})")

    def response(answer: Response) -> None:
        if answer.status >= 400:
            problems.append(f"{answer.status}: {answer.request.method} {answer.url}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"script: {error}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    page.on("response", response)
    return problems


def settle(page: Page) -> None:
    """Wait for the load event and for what Chromium does just after it (the favicon)."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)


def visit(page: Page, path: str) -> None:
    page.goto(path)
    settle(page)


@pytest.fixture(params=["prod", "dev"])
def either_stack(request, make_stack):
    """prod_stack (DEBUG off, collected static files) or dev_stack (DEBUG on, as `make run`)."""
    if request.param == "dev":
        return make_stack(DEBUG="1", EMAIL_BACKEND="newsroom.devmail.EmailBackend", **READER_SPEED)
    return make_stack(**READER_SPEED)


def test_no_page_a_reader_or_editor_sees_logs_an_error(either_stack, open_page):
    url = either_stack.start_web()
    # Hashed as the server hashes: this test process uses a faster hasher the server lacks.
    hasher = PBKDF2PasswordHasher()
    User.objects.create(
        username="editor",
        is_staff=True,
        is_superuser=True,
        password=hasher.encode("a-long-test-password", hasher.salt()),
    )

    # The admin first: its pages name no icon, so the first page of a fresh origin makes the
    # browser ask for /favicon.ico (once; then it remembers the answer for the origin).
    editor = open_page(url)
    problems = record_problems(editor)
    visit(editor, "/admin/login/")
    editor.get_by_label("Username").fill("editor")
    editor.get_by_label("Password").fill("a-long-test-password")
    editor.get_by_role("button", name="Log in").click()
    settle(editor)
    expect(editor).to_have_url(f"{url}/admin/")

    # A reader without JavaScript: the article, a mistyped address, then the thank-you page.
    no_script = open_page(url, java_script_enabled=False)
    no_script_problems = record_problems(no_script)
    visit(no_script, "/")
    email_field(no_script.locator("form#subscribe-daily")).fill("not-an-email")
    submit(no_script.locator("form#subscribe-daily"))
    settle(no_script)
    expect_error_beside_field(no_script, no_script.locator("form#subscribe-daily"), "not-an-email")
    email_field(no_script.locator("form#subscribe-daily")).fill("pages@example.com")
    submit(no_script.locator("form#subscribe-daily"))
    settle(no_script)
    expect_thank_you(no_script.locator("form#subscribe-daily"))

    # A reader with JavaScript: the article and its in-place answer, then the links of the
    # first reader's emails: the confirm page and the unsubscribe page, each with its button.
    reader = open_page(url)
    problems += record_problems(reader)
    visit(reader, "/")
    form = reader.locator("form#subscribe-explaining-ukraine")
    email_field(form).fill("pages-script@example.com")
    submit(form)
    expect_thank_you(form)
    services.process_recorded_sign_ups()  # no worker runs here: do its part
    subscription = Subscription.objects.get(subscriber__email="pages@example.com")
    request = subscription.confirmation_emails.get()
    visit(reader, f"/confirm/{make_confirm_token(request.pk)}/")
    expect(reader).to_have_url(f"{url}/confirm/")
    reader.get_by_role("button", name="Confirm subscription").click()
    settle(reader)
    expect(reader.get_by_role("heading", level=1)).to_have_text("Subscription confirmed")
    visit(reader, f"/unsubscribe/{make_unsubscribe_token(subscription.pk)}/")
    expect(reader).to_have_url(f"{url}/unsubscribe/")
    reader.get_by_role("button", name="Unsubscribe").click()
    settle(reader)
    expect(reader.get_by_role("heading", level=1)).to_have_text("You're unsubscribed")

    # What the editor then looks at, and the dev mailbox where `make run` delivers mail.
    visit(editor, "/admin/subscriptions/subscription/")
    visit(editor, f"/admin/subscriptions/subscription/{subscription.pk}/change/")
    expect(editor.get_by_text("pages@example.com").first).to_be_visible()
    if either_stack.env["DEBUG"] == "1":
        visit(editor, "/dev/mailbox/")
        expect(editor.get_by_role("heading", name="Dev mailbox")).to_be_visible()

    # The icons themselves: what admin pages get at /favicon.ico, and what base.html names.
    icons = [
        "/favicon.ico",
        *reader.locator("link[rel=icon]").evaluate_all("l => l.map(e => e.href)"),
    ]
    assert len(icons) == 3
    for icon in icons:
        answer = reader.request.get(icon)
        assert answer.ok and answer.headers["content-type"].startswith("image/"), icon
    assert reader.request.get("/favicon.ico").body()[:4] == b"\x00\x00\x01\x00"  # an ICO

    # Only the mistyped address's intentional 400, which the browser reports both ways.
    intentional = [
        f"400: POST {url}/subscribe/",
        "console: Failed to load resource: the server responded with a status of 400 "
        f"(Bad Request) ({url}/subscribe/)",
    ]
    assert intentional[0] in no_script_problems  # the recording works
    assert [p for p in no_script_problems if p not in intentional] == []
    assert problems == []
