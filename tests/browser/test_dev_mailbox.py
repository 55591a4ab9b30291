"""The dev mailbox shows each email as a reader sees it (issue 21): its HTML part in frames at
600 and 375 px, under the email's own CSP, beside the text part and the headers, on a phone's
screen as on a desktop's, and its links open the site in a new tab."""

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from ..support.browser import (
    SCREENSHOTS,
    SCRIPT_ERRORS,
    email_field,
    expect_thank_you,
    open_mail_to,
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

PHONE = {"width": 390, "height": 844}


def page_scrolls_sideways(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def csp_refusals(page: Page) -> list[str]:
    refused: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", record)
    return refused


def expect_email_framed_at(mail, width: int):
    frame_element = mail.locator(f'iframe[width="{width}"]')
    frame_element.scroll_into_view_if_needed()
    assert frame_element.bounding_box()["width"] == width  # its own width, whatever the screen
    frame = mail.frame_locator(f'iframe[width="{width}"]')
    link = frame.get_by_role("link", name="Confirm subscription")
    expect(link).to_be_visible()
    # The email's inline styles apply: the mailbox's own CSP would have refused them.
    styled = frame.locator("[style]").first
    assert styled.evaluate("element => element.style.length") > 0
    return link


def test_a_developer_sees_the_email_as_a_reader_does_on_a_phone_and_clicks_its_link(
    dev_stack, open_page
):
    url = dev_stack.start_web()
    dev_stack.start_worker()
    address = "mailbox-reader@example.com"
    page = open_page(url)
    page.goto("/")
    form = page.locator("form#subscribe-daily")
    email_field(form).fill(address)
    submit(form)
    expect_thank_you(form)

    phone = open_page(url, viewport=PHONE, is_mobile=True, has_touch=True)
    refused = csp_refusals(phone)
    mail = open_mail_to(phone, address)
    expect(mail.locator("dt")).to_contain_text(["From:", "To:", "Subject:", "Date:"])
    expect(mail.locator("pre")).to_contain_text("/confirm/")  # the text part
    assert not page_scrolls_sideways(phone)
    expect_email_framed_at(mail, 600)
    link = expect_email_framed_at(mail, 375)
    assert not page_scrolls_sideways(phone)
    # The phone's screen, not full_page: resizing the page for a full-page shot leaves the
    # sandboxed frames blank in the picture though they show on the screen.
    mail.evaluate("element => element.scrollIntoView()")
    phone.screenshot(path=SCREENSHOTS / "newsroom-dev-mailbox-390.png")

    # Our pages refuse to be framed: the link opens the confirmation page in a tab of its own.
    with phone.context.expect_page() as opened:
        link.click()
    confirm = opened.value
    expect(confirm).to_have_url(f"{url}/confirm/")
    expect(confirm.get_by_role("button", name="Confirm subscription")).to_be_visible()
    expect(phone).to_have_url(f"{url}/dev/mailbox/")  # the mailbox stays where it was
    assert refused == []
    assert SCRIPT_ERRORS[phone] == []

    desktop = open_page(url)
    mail = open_mail_to(desktop, address)
    expect_email_framed_at(mail, 600)
    expect_email_framed_at(mail, 375)
    # Side by side when they fit.
    wide, narrow = (mail.locator(f'iframe[width="{w}"]').bounding_box() for w in (600, 375))
    assert wide["y"] == narrow["y"] and wide["x"] + 600 < narrow["x"]
    assert not page_scrolls_sideways(desktop)
    desktop.screenshot(path=SCREENSHOTS / "newsroom-dev-mailbox-1280.png", full_page=True)
