"""An editor writes an edition in the admin, previews it at 600 and 375 px, sends a test that
arrives in the dev mailbox (issue 24), then sends it to the list's readers, each of whom gets
their own copy with their own unsubscribe link (issue 25), on a desktop's screen and a
phone's. One stack for both, to keep CI short."""

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from subscriptions.guards.validation import address_key, inbox_key
from subscriptions.models import Inbox, Newsletter, Status, Subscriber, Subscription

from ..support.browser import SCREENSHOTS, open_mail_to

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

PASSWORD = "a-long-test-password"
EDITOR = "desk@example.com"
BODY = """\
## Under the river

Kyiv's metro runs sixty metres under the Dnipro.

> "We slept on the platform for a week."

![Arsenalna station at night](https://example.org/arsenalna.jpg)

[Support our reporting](https://example.org/donate){.button}
"""


def sign_in(page: Page, base: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("desk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/admin/")


def write_edition(page: Page) -> None:
    page.goto("/admin/editions/edition/add/")
    page.get_by_label("List").select_option(label="Explaining Ukraine with Kate Tsurkan")
    page.get_by_label("Subject").fill("Under the Dnipro")
    page.get_by_label("Preheader").fill("How Kyiv's metro became a shelter")
    page.get_by_label("Body").fill(BODY)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")


def expect_framed(page: Page, width: int) -> None:
    element = page.locator(f'iframe[width="{width}"]')
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    assert box is not None and box["width"] == width
    frame = page.frame_locator(f'iframe[width="{width}"]')
    expect(frame.get_by_role("heading", name="Under the river")).to_be_visible()
    expect(frame.get_by_role("link", name="Support our reporting")).to_be_visible()
    expect(frame.get_by_role("link", name="View in browser")).to_be_visible()
    # The email's inline styles apply inside its frame: the admin's CSP would refuse them.
    button = frame.get_by_role("link", name="Support our reporting")
    assert button.evaluate("a => getComputedStyle(a).backgroundColor") != "rgba(0, 0, 0, 0)"


def test_an_editor_writes_previews_and_sends_a_test_to_the_dev_mailbox(dev_stack, open_page):
    base = dev_stack.start_web()
    dev_stack.start_worker()
    hasher = PBKDF2PasswordHasher()  # as the server hashes; tests use a faster one
    User.objects.create(
        username="desk", email=EDITOR, is_staff=True, is_superuser=True,
        password=hasher.encode(PASSWORD, hasher.salt()),
    )  # fmt: skip
    page = open_page(base)
    sign_in(page, base)
    write_edition(page)
    page.get_by_role("link", name="Preview and test").click()
    expect(page.locator("pre")).to_contain_text(
        "Support our reporting (https://example.org/donate)"
    )
    expect_framed(page, 600)
    expect_framed(page, 375)
    page.screenshot(path=SCREENSHOTS / "newsroom-edition-preview-1280.png", full_page=True)

    phone = open_page(base, viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(phone, base)
    phone.goto(page.url)
    expect_framed(phone, 375)
    phone.screenshot(path=SCREENSHOTS / "newsroom-edition-preview-390.png")

    # From the top, as an editor starts: Playwright's own scrolling after the full-page
    # screenshot left the press unanswered.
    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("button", name="Send a test to me").click()
    expect(page.locator(".messagelist .success")).to_contain_text(f"on its way to {EDITOR}")
    mail = open_mail_to(page, EDITOR)
    expect(mail.locator("h2")).to_contain_text("[Test] Under the Dnipro")
    expect(mail.locator("pre")).to_contain_text("/test-link/")
    frame = mail.frame_locator('iframe[width="600"]')
    expect(frame.get_by_role("link", name="Unsubscribe")).to_be_visible()
    mail.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "newsroom-edition-test-mail-1280.png")
    # The test's unsubscribe link, opened as a reader would (the dev mailbox's own test checks
    # that a link in a frame opens a tab): it says it was a test.
    text = mail.locator("pre").inner_text()
    link = text.split("Unsubscribe with one click: ", 1)[1].split()[0]
    reader = open_page(base)
    reader.goto(link)
    expect(reader.get_by_role("heading", level=1)).to_contain_text("This was a test email")
    send_to_the_list(page)


def send_to_the_list(page: Page) -> None:
    readers = ["ola@example.com", "taras@example.com"]
    newsletter = Newsletter.objects.get(slug="explaining-ukraine")
    for email in readers:
        subscriber = Subscriber.objects.create(
            email=email, email_key=address_key(email), inbox_key=inbox_key(email)
        )
        Inbox.objects.create(key=subscriber.inbox_key)
        Subscription.objects.create(
            subscriber=subscriber, newsletter=newsletter, status=Status.CONFIRMED,
            pending_at=timezone.now(), confirmed_at=timezone.now(),
        )  # fmt: skip
    page.goto("/admin/editions/edition/")
    page.get_by_role("link", name="Under the Dnipro").click()
    page.get_by_role("link", name="Send now…").click()
    expect(page.locator("#content-main")).to_contain_text(
        "Send “Under the Dnipro” to 2 confirmed readers of Explaining Ukraine with Kate Tsurkan?"
    )
    page.screenshot(path=SCREENSHOTS / "newsroom-edition-send-1280.png")
    page.get_by_role("button", name="Yes, send it now").click()
    expect(page.locator(".messagelist .success")).to_contain_text("has started")
    unsubscribe_links = set()
    for email in readers:
        mail = open_mail_to(page, email)
        expect(mail.locator("h2")).to_contain_text("Under the Dnipro")
        text = mail.locator("pre").inner_text()
        unsubscribe_links.add(text.split("Unsubscribe with one click: ", 1)[1].split()[0])
    assert len(unsubscribe_links) == 2  # each reader's own
