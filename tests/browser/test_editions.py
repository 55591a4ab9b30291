"""An editor writes an edition in the admin, previews it at 600 and 375 px and sends a test
that arrives in the dev mailbox, on a desktop's screen and a phone's (issue 24)."""

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

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
    with page.context.expect_page() as opened:
        frame.get_by_role("link", name="Unsubscribe").click()
    expect(opened.value.get_by_role("heading")).to_contain_text("This was a test email")
    mail.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "newsroom-edition-test-mail-1280.png")
