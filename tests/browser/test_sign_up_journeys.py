"""Sign-up journeys in a real browser, with and without JavaScript: the forms answer in
place or on a new page, and a reader confirms from the email the worker sent."""

import re

import pytest
from playwright.sync_api import expect

from subscriptions import services
from subscriptions.models import ConfirmationEmail, Consent, OutboxState, Subscription

from ..support.browser import (
    MAIL_WAIT,
    SCREENSHOTS,
    SCRIPT_ERRORS,
    click_mailbox_link,
    email_error,
    email_field,
    expect_error_beside_field,
    expect_thank_you,
    open_mail_to,
    submit,
)
from ..support.helpers import found
from ..support.wait import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


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
    services.process_recorded_sign_ups()  # no worker runs with `web`: do its part
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
    services.process_recorded_sign_ups()
    subscription = Subscription.objects.get(subscriber__email="promo-reader@example.com")
    assert subscription.newsletter.slug == "explaining-ukraine"


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
    click_mailbox_link(link)

    # The link stores the token in a cookie and redirects to a page without it; a GET
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
    for box in boxes.all():
        expect(box).not_to_be_checked()  # nothing is ticked for the reader
    consent_line = form.locator(".subscribe__consent")
    expect(consent_line).to_contain_text("the newsletters you tick")
    for name in ("The Daily Brief", "Weekly Review"):
        form.get_by_label(name).check()
    # The line names what the reader ticked, and that line is what the consent stores.
    shown = "We will email you The Daily Brief and Weekly Review and nothing else."
    expect(consent_line).to_contain_text(shown)

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
    assert Consent.objects.get().wording == consent_line.text_content()
    assert message["To"] == address
    for body in (message["TextBody"], message["HtmlBody"]):
        assert "The Daily Brief" in body and "Weekly Review" in body
        assert "Breaking News Alerts" not in body and "Explaining Ukraine" not in body
    assert SCRIPT_ERRORS[page] == []
