"""The preference center in a real browser, from the links in the emails the worker sent: a
reader changes their lists and language, gets their data, and leaves everything."""

import json

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from subscriptions import services
from subscriptions.core.tokens import make_confirm_token
from subscriptions.models import Newsletter, Status, Subscriber, Subscription

from ..support.browser import MAIL_WAIT, SCREENSHOTS, SCRIPT_ERRORS, click_mailbox_link
from ..support.wait import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

ADDRESS = "prefs-reader@example.com"


def open_mail(page: Page, subject: str):
    """Reload the dev mailbox until the worker has delivered `subject` to the reader."""

    def delivered():
        page.goto("/dev/mailbox/")
        mail = page.locator("article.mail").filter(has_text=f"To: {ADDRESS}")
        mail = mail.filter(has=page.get_by_role("heading", name=subject))
        try:
            mail.first.wait_for(timeout=1000)
        except PlaywrightTimeout:
            return None
        return mail.first

    return wait_until(delivered, MAIL_WAIT, interval=0, what=f"{subject!r} to the reader")


def statuses() -> dict[str, str]:
    rows = Subscription.objects.filter(subscriber__email=ADDRESS)
    return dict(rows.values_list("newsletter__slug", "status"))


def confirmed_reader(page: Page) -> None:
    """Signed up to the Daily Brief, and confirmed from the confirm page's button."""
    daily = Newsletter.objects.get(slug="daily")
    result = services.sign_up(email=ADDRESS, newsletters=[daily], consent=None)
    assert result.confirmation_email_id is not None
    page.goto(f"/confirm/{make_confirm_token(result.confirmation_email_id)}/")
    page.get_by_role("button", name="Confirm subscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscription confirmed")


def test_a_reader_manages_lists_language_and_data_from_their_emails(dev_stack, open_page):
    url = dev_stack.start_web()
    dev_stack.start_worker()
    page = open_page(url)
    confirmed_reader(page)

    # The welcome email, like every list email, links to the reader's preference center.
    welcome = open_mail(page, "Welcome to The Daily Brief")
    click_mailbox_link(welcome.locator('a[href*="/preferences/"]'))
    expect(page).to_have_url(f"{url}/preferences/")  # the token went to a cookie
    expect(page.get_by_label("The Daily Brief")).to_be_checked()
    expect(page.get_by_label("Weekly Review")).not_to_be_checked()
    page.screenshot(path=SCREENSHOTS / "newsroom-preferences.png", full_page=True)

    page.get_by_label("Weekly Review").check()
    page.get_by_label("The Daily Brief").uncheck()
    page.get_by_label("Українська").check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_contain_text("Your choices are saved.")
    expect(page.get_by_role("status")).to_contain_text("You now get: Weekly Review.")
    expect(page.get_by_role("status")).to_contain_text("You will no longer get: The Daily Brief.")
    assert statuses() == {"daily": Status.UNSUBSCRIBED, "weekly-review": Status.CONFIRMED}
    assert Subscriber.objects.get(email=ADDRESS).language == "uk"
    open_mail(page, "Welcome to the Weekly Review")  # no second opt-in: welcomed at once

    page.goto("/preferences/")
    page.get_by_role("button", name="Send me my data").click()
    expect(page.get_by_role("status")).to_contain_text("Check your inbox.")
    click_mailbox_link(
        open_mail(page, "Your data at The Newsroom").locator('a[href*="/your-data/"]')
    )
    expect(page).to_have_url(f"{url}/your-data/")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download my data (JSON)").click()
    data = json.loads(downloading.value.path().read_text())
    assert data["subscriber"]["email"] == ADDRESS
    assert {s["list"]: s["status"] for s in data["subscriptions"]} == statuses()

    page.goto("/preferences/")
    page.get_by_role("button", name="Unsubscribe from all").click()
    expect(page.get_by_role("status")).to_contain_text("unsubscribed from all")
    expect(page.get_by_label("Weekly Review")).not_to_be_checked()
    assert set(statuses().values()) == {Status.UNSUBSCRIBED}
    assert SCRIPT_ERRORS[page] == []
