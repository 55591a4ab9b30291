"""The sign-up forms in a real browser: Debian's chromium driven by Playwright (sync API) against
gunicorn and a real celery worker (tests/support/stack.py), with and without JavaScript; and every
page a reader or editor sees, free of console errors and failed requests."""

import re
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from subscriptions.models import ConfirmationEmail, OutboxState, Subscription
from subscriptions.tokens import make_confirm_token, make_unsubscribe_token

from .support.helpers import BAD, GOOD, found
from .support.stack import require_binary
from .support.wait import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path("/tmp")
WAIT = 10_000  # ms, for anything the page itself does
MAIL_WAIT = 30.0  # s, for the worker to deliver a confirmation


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an asyncio event loop in this thread for as long as it is
    started. Django refuses ORM calls from a thread with a running loop
    (SynchronousOnlyOperation), so the fixtures' database setup/flush and the tests' own
    queries would all fail. Nothing here is actually concurrent: the ORM is only called between
    Playwright calls, never from a coroutine, so the guard can be switched off, for this module
    only: autouse, it is set up before `browser` starts the loop and undone after it stops.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_binary("chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# The script errors each page opened by `open_page` has logged.
SCRIPT_ERRORS: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context (own cookies); the page records any script error."""
    contexts = []

    def open_(base_url: str, **options) -> Page:
        context = browser.new_context(
            base_url=base_url, viewport={"width": 1280, "height": 900}, **options
        )
        context.set_default_timeout(WAIT)
        contexts.append(context)
        page = context.new_page()
        errors = SCRIPT_ERRORS.setdefault(page, [])
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_
    for context in contexts:
        context.close()


# The abuse pipeline silently drops a sign-up sent sooner than SIGNUP_MIN_FILL_SECONDS after the
# form was rendered (reader-facing answer unchanged). A test types faster than any person, so
# the stacks here set the minimum to 0 instead of sleeping; the signed form token is still
# checked, so the page's token (and the fresh one subscribe.js fetches) must be genuine.
READER_SPEED = {"SIGNUP_MIN_FILL_SECONDS": "0"}


@pytest.fixture
def prod_stack(make_stack):
    """Production-like: DEBUG off, anymail's Postmark backend to the fake provider."""
    return make_stack(**READER_SPEED)


@pytest.fixture
def web(prod_stack) -> str:
    return prod_stack.start_web()


@pytest.fixture
def dev_stack(make_stack):
    """DEBUG on with the dev mailbox backend, as `make run` runs: /dev/mailbox/ exists."""
    return make_stack(DEBUG="1", EMAIL_BACKEND="newsroom.devmail.EmailBackend", **READER_SPEED)


def email_field(form):
    return form.locator("input[name=email]")


def submit(form) -> None:
    form.get_by_role("button", name="Subscribe").click()


def email_error(page: Page, form):
    """The message the email field points to with aria-describedby."""
    return page.locator("#" + email_field(form).get_attribute("aria-describedby"))


def expect_error_beside_field(page: Page, form, typed: str) -> None:
    field, error = email_field(form), email_error(page, form)
    expect(error).to_have_text(BAD)  # the whole text, not a substring
    expect(error).to_be_visible()
    expect(field).to_have_value(typed)
    expect(field).to_have_attribute("aria-invalid", "true")
    # "Next to the field": right below the row that holds the field and its button (in the
    # narrow sidebar the button wraps under the field, so measure from the row, not the field).
    row = form.locator(".subscribe__row:has(input[name=email])")
    row_box, error_box = row.bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (row_box["y"] + row_box["height"]) < 30


def expect_thank_you(form) -> None:
    answer = form.locator(".subscribe__answer")
    expect(answer).to_have_attribute("aria-live", "polite")
    expect(answer.get_by_role("heading")).to_have_text("Successfully subscribed")
    expect(answer.locator("p")).to_have_text(GOOD)


def test_without_javascript_the_daily_form_posts_and_answers_on_a_new_page(web, open_page):
    page = open_page(web, java_script_enabled=False)
    page.goto("/")
    form = page.locator("form#subscribe-daily")
    email_field(form).fill("not-an-email")
    submit(form)

    expect(page).to_have_url(f"{web}/subscribe/")  # a real POST and a new page
    form = page.locator("form#subscribe-daily")
    expect_error_beside_field(page, form, "not-an-email")
    expect(form.locator(".subscribe__answer")).to_have_text("")

    email_field(form).fill("no-script@example.com")
    submit(form)
    expect_thank_you(page.locator("form#subscribe-daily"))
    expect(email_error(page, page.locator("form#subscribe-daily"))).to_have_text("")
    assert Subscription.objects.get(subscriber__email="no-script@example.com").status == "pending"


def test_with_javascript_the_promo_form_answers_in_place_without_a_reload(web, open_page):
    page = open_page(web)
    page.goto("/")
    page.screenshot(path=SCREENSHOTS / "newsroom-article.png", full_page=True)
    page.evaluate("window.__marker = 'same document'")
    form = page.locator("form#subscribe-explaining-ukraine")
    expect(form).to_have_class(re.compile(r"\bsubscribe--promo\b"))

    email_field(form).fill("not-an-email")
    with page.expect_response("**/subscribe/") as answered:
        submit(form)
    assert answered.value.status == 400
    assert answered.value.request.headers["accept"] == "application/json"
    expect_error_beside_field(page, form, "not-an-email")
    expect(email_field(form)).to_be_focused()

    email_field(form).fill("promo-reader@example.com")
    submit(form)
    expect_thank_you(form)
    expect(email_error(page, form)).to_have_text("")
    expect(email_field(form)).not_to_have_attribute("aria-invalid", "true")

    expect(page).to_have_url(f"{web}/")
    assert page.evaluate("window.__marker") == "same document"  # no navigation happened
    assert SCRIPT_ERRORS[page] == []
    subscription = Subscription.objects.get(subscriber__email="promo-reader@example.com")
    assert subscription.newsletter.slug == "explaining-ukraine"


def open_mail_to(page: Page, address: str, timeout: float = MAIL_WAIT):
    """Reload the dev mailbox until the worker has delivered a message to `address`."""

    def delivered():
        page.goto("/dev/mailbox/")
        mail = page.locator("article.mail").filter(has_text=f"To: {address}")
        try:
            mail.wait_for(timeout=1000)
        except PlaywrightTimeout:
            return None
        return mail

    return wait_until(delivered, timeout, interval=0, what=f"a message to {address}")


def test_reader_signs_up_confirms_from_the_dev_mailbox_and_is_confirmed(dev_stack, open_page):
    url = dev_stack.start_web()
    dev_stack.start_worker()
    address = "journey@example.com"
    page = open_page(url)

    page.goto("/")
    form = page.locator("form#subscribe-daily")
    email_field(form).fill("journey@example")
    submit(form)
    expect_error_beside_field(page, form, "journey@example")
    email_field(form).fill(address)
    submit(form)
    expect_thank_you(form)

    mail = open_mail_to(page, address)
    expect(mail.get_by_role("heading")).to_have_text(
        "Please confirm your subscription to The Newsroom"
    )
    expect(mail).to_contain_text("The Daily Brief")
    link = mail.locator('a[href*="/confirm/"]')
    expect(link).to_have_count(1)
    href = link.get_attribute("href") or ""
    assert href.startswith(f"{url}/confirm/")  # built from SITE_URL
    token = found(r"/confirm/([^/]+)/$", href)
    link.click()

    # The link stores the token in the session and redirects to a page without it; a GET
    # never confirms: only the button does.
    expect(page).to_have_url(f"{url}/confirm/")
    assert token not in page.url
    button = page.get_by_role("button", name="Confirm subscription")
    expect(button).to_be_visible()
    expect(page.get_by_role("listitem")).to_have_text(["The Daily Brief"])
    page.screenshot(path=SCREENSHOTS / "newsroom-confirm.png", full_page=True)
    assert Subscription.objects.get(subscriber__email=address).status == "pending"

    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscription confirmed")
    expect(page.locator(".notice")).to_contain_text("The Daily Brief")
    page.screenshot(path=SCREENSHOTS / "newsroom-confirmed.png", full_page=True)
    assert Subscription.objects.get(subscriber__email=address).status == "confirmed"
    assert SCRIPT_ERRORS[page] == []


def test_footer_sign_up_to_two_lists_sends_one_email_naming_both(
    prod_stack, fake_postmark, open_page
):
    url = prod_stack.start_web()
    prod_stack.start_worker()
    address = "two-lists@example.com"
    page = open_page(url)
    page.goto("/")
    form = page.locator("form#subscribe-footer")
    boxes = form.get_by_role("checkbox")
    expect(boxes).to_have_count(4)
    for name in ("Explaining Ukraine with Kate Tsurkan", "Breaking News Alerts"):
        form.get_by_label(name).uncheck()
    expect(form.get_by_label("The Daily Brief")).to_be_checked()
    expect(form.get_by_label("Weekly Review")).to_be_checked()

    email_field(form).fill(address)
    submit(form)
    expect_thank_you(form)

    [message] = fake_postmark.wait_for(1, timeout=MAIL_WAIT)
    wait_until(
        lambda: ConfirmationEmail.objects.filter(state=OutboxState.SENT).exists(),
        MAIL_WAIT,
        what="the confirmation to be recorded as sent",
    )
    # The one outbox row is sent, and nothing else is queued: no second email can follow.
    [request] = ConfirmationEmail.objects.all()
    assert sorted(s.newsletter.slug for s in request.subscriptions.all()) == [
        "daily",
        "weekly-review",
    ]
    assert fake_postmark.accepted == [message]
    assert message["To"] == address
    for body in (message["TextBody"], message["HtmlBody"]):
        assert "The Daily Brief" in body and "Weekly Review" in body
        assert "Breaking News Alerts" not in body and "Explaining Ukraine" not in body
    assert SCRIPT_ERRORS[page] == []


# --- No page logs an error -------------------------------------------------------------------


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
