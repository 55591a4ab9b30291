"""No reader lost in silence, in a real browser with the real minimum fill time: autofill and
an instant press, a second step a person can finish, and the typo asked before anything is
sent."""

import random
import string

import pytest
from playwright.sync_api import Page, expect

from subscriptions.guards import typos
from subscriptions.models import RecordedSignUp, Subscriber

from ..support.browser import MAIL_WAIT, SCREENSHOTS, SCRIPT_ERRORS, email_field, expect_thank_you

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


@pytest.fixture
def people_stack(make_stack):
    """Production-like, with the minimum fill time as it ships (2 s)."""
    return make_stack()


def autofill(page: Page, form, address: str) -> None:
    """What a browser's autofill does: the value appears at once, no keystrokes."""
    field = email_field(form)
    field.focus()
    field.evaluate(
        """(el, value) => {
            el.value = value;
            el.dispatchEvent(new Event("input", { bubbles: true }));
            el.dispatchEvent(new Event("change", { bubbles: true }));
        }""",
        address,
    )


def test_a_reader_who_autofills_and_presses_at_once_is_signed_up(
    people_stack, fake_postmark, open_page
):
    url = people_stack.start_web()
    people_stack.start_worker()
    page = open_page(url)
    page.goto("/")
    page.wait_for_timeout(5000)  # reading the article
    form = page.locator("form#subscribe-daily")
    autofill(page, form, "autofill@example.com")
    page.wait_for_timeout(500)
    form.get_by_role("button", name="Subscribe").click()
    expect_thank_you(form)
    [message] = fake_postmark.wait_for(1, timeout=MAIL_WAIT)
    assert message["To"] == "autofill@example.com"
    assert SCRIPT_ERRORS[page] == []


def test_a_press_right_after_the_page_loads_gets_a_second_step_a_person_can_finish(
    people_stack, fake_postmark, open_page
):
    url = people_stack.start_web()
    people_stack.start_worker()
    page = open_page(url, viewport={"width": 390, "height": 844})
    page.goto("/")
    form = page.locator("form#subscribe-explaining-ukraine")
    autofill(page, form, "quick@example.com")
    form.get_by_role("button", name="Subscribe").click()
    expect(form.locator('[data-error-for="form"]')).to_have_text("Please press Subscribe again.")
    page.screenshot(path=SCREENSHOTS / "newsroom-press-again-390.png", full_page=True)
    assert not RecordedSignUp.objects.exists() and not Subscriber.objects.exists()
    page.wait_for_timeout(2000)  # a person reads the line, then presses
    form.get_by_role("button", name="Subscribe").click()
    expect_thank_you(form)
    expect(form.locator('[data-error-for="form"]')).to_have_text("")
    [message] = fake_postmark.wait_for(1, timeout=MAIL_WAIT)
    assert message["To"] == "quick@example.com"


@pytest.mark.parametrize("width", [390, 1280])
def test_with_script_a_typo_is_asked_before_anything_is_sent(web, open_page, width):
    page = open_page(web, viewport={"width": width, "height": 900})
    sent = []
    page.on("request", lambda r: sent.append(r) if r.url.endswith("/subscribe/") else None)
    page.goto("/")
    form = page.locator("form#subscribe-daily")
    page.wait_for_load_state("networkidle")  # the token, and the domains with it
    email_field(form).fill("typo@gmial.com")
    form.get_by_role("button", name="Subscribe").click()
    question = form.locator(".subscribe__question")
    expect(question).to_contain_text("Did you mean typo@gmail.com?")
    question.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / f"newsroom-typo-question-{width}.png", full_page=True)
    assert sent == [] and not RecordedSignUp.objects.exists()
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow
    with page.expect_response("**/subscribe/"):
        question.get_by_role("button", name="Yes, use typo@gmail.com").click()
    expect(email_field(form)).to_have_value("typo@gmail.com")
    expect_thank_you(form)
    [request] = sent  # one request, after the choice, with the address chosen
    assert 'name="email"\r\n\r\ntypo@gmail.com\r\n' in (request.post_data or "")
    assert [r.email for r in RecordedSignUp.objects.all()] == ["typo@gmail.com"]


def test_with_script_the_reader_can_keep_what_they_typed(web, open_page):
    page = open_page(web)
    page.goto("/")
    page.wait_for_load_state("networkidle")
    form = page.locator("form#subscribe-explaining-ukraine")
    email_field(form).fill("me@hotmal.com")
    form.get_by_role("button", name="Subscribe").click()
    form.get_by_role("button", name="No, keep me@hotmal.com").click()
    expect_thank_you(form)
    assert [r.email for r in RecordedSignUp.objects.all()] == ["me@hotmal.com"]


def test_without_script_the_question_page_then_the_choice(web, open_page):
    page = open_page(web, java_script_enabled=False)
    page.goto("/")
    form = page.locator("form#subscribe-daily")
    email_field(form).fill("typo@gmial.com")
    form.get_by_role("button", name="Subscribe").click()
    expect(page).to_have_url(f"{web}/subscribe/")
    form = page.locator("form#subscribe-daily")
    expect(form.locator(".subscribe__question")).to_contain_text("Did you mean typo@gmail.com?")
    page.screenshot(path=SCREENSHOTS / "newsroom-typo-question-noscript.png", full_page=True)
    assert not RecordedSignUp.objects.exists()
    form.get_by_role("button", name="No, keep typo@gmial.com").click()
    expect_thank_you(page.locator("form#subscribe-daily"))
    assert [r.email for r in RecordedSignUp.objects.all()] == ["typo@gmial.com"]


def typo_of(domain: str, rng: random.Random) -> str:
    """One slip of the keyboard: a letter dropped, doubled, swapped or replaced."""
    i = rng.randrange(len(domain) - 1)
    letter = rng.choice(string.ascii_lowercase)
    return rng.choice(
        [
            domain[:i] + domain[i + 1 :],
            domain[:i] + domain[i] + domain[i:],
            domain[:i] + domain[i + 1] + domain[i] + domain[i + 2 :],
            domain[:i] + letter + domain[i + 1 :],
        ]
    )


def test_the_page_suggests_exactly_what_the_server_would(web, open_page):
    page = open_page(web)
    page.goto("/")
    rng = random.Random(19)
    domains = [typo_of(rng.choice(typos.COMMON_DOMAINS), rng) for _ in range(400)]
    domains += [*typos.COMMON_DOMAINS, "example.com", "gmail.co", "yaho.co.uk", "x"]
    domains += ["bob.fastmail.com", "eu.gmail.com", "xfastmail.com"]
    emails = [f"reader@{d}" for d in domains]
    in_page = page.evaluate(
        "([emails, domains]) => emails.map((e) => window.newsroomSubscribe.suggest(e, domains))",
        [emails, typos.COMMON_DOMAINS],
    )
    expected = [typos.suggest(e) or "" for e in emails]
    assert in_page == expected
    assert sum(1 for s in expected if s) > 300  # most slips are caught, on both sides
