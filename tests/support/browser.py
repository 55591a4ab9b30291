"""What the browser tests share: the pages' form helpers, and what a page recorded.

The fixtures that start chromium and the servers are in tests/browser/conftest.py.
"""

import weakref
from pathlib import Path

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .helpers import BAD, GOOD, HEADING
from .wait import wait_until

SCREENSHOTS = Path("/tmp")
MAIL_WAIT = 30.0  # s, for the worker to deliver a confirmation

# The script errors each page opened by `open_page` has logged.
SCRIPT_ERRORS: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()


# The abuse pipeline asks for a second step ("Please press Subscribe again") when a sign-up
# comes sooner than SIGNUP_MIN_FILL_SECONDS after the page view. A test types faster than any
# person, so these stacks set the minimum to 0 instead of sleeping (test_second_steps.py keeps
# it); the signed form token is still checked, so the page's token (and the fresh one
# subscribe.js fetches) must be genuine.
READER_SPEED = {"SIGNUP_MIN_FILL_SECONDS": "0"}


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
    expect(answer.get_by_role("heading")).to_have_text(HEADING)
    expect(answer.locator("p")).to_have_text(GOOD)


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


def click_mailbox_link(link) -> None:
    """Click a link in a message's text part on the dev mailbox page. The mailbox frames the
    email's HTML above the text part, and Chromium runs those sandboxed frames in processes of
    their own: a click that comes in the same moment as the scroll is routed by where the frames
    were before it, into a frame. Scroll, then click, as a person does."""
    link.scroll_into_view_if_needed()
    expect(link).to_be_in_viewport()
    link.click()
