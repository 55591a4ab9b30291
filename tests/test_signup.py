"""Reader sign-up through the public forms: validation, answers, consent, cross-site refusal."""

import re

import pytest

from subscriptions.app_settings import app_settings
from subscriptions.models import (
    ConfirmationEmail,
    Consent,
    Event,
    RecordedSignUp,
    Subscriber,
    Subscription,
)

from .support.helpers import BAD, GOOD, HEADING, form_token, sign_up

pytestmark = pytest.mark.django_db


def test_article_page_carries_the_three_sign_up_forms(client, newsletters):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    for form_id in ("subscribe-daily", "subscribe-explaining-ukraine", "subscribe-footer"):
        assert f'id="{form_id}"' in html
    assert html.count("indicates required") == 3
    # A form for one list names it on its button; the footer's offers several.
    assert html.count(">Subscribe to The Daily Brief</button>") == 1
    assert html.count(">Subscribe to Explaining Ukraine with Kate Tsurkan</button>") == 1
    assert html.count(">Subscribe</button>") == 1
    assert "Enter your email to subscribe" in html
    assert "Explaining Ukraine with Kate Tsurkan" in html


def test_article_page_is_cacheable_with_no_per_visitor_token(client, newsletters):
    first, second = client.get("/"), client.get("/")
    assert "public" in first["Cache-Control"]
    assert "csrfmiddlewaretoken" not in first.content.decode()
    assert not first.cookies
    # Only the signed render time differs between renders: nothing ties a page to a visitor.
    token = re.compile(rb'name="form_token" value="[^"]+"')
    assert token.sub(b"", first.content) == token.sub(b"", second.content)


def test_footer_form_offers_several_lists_as_checkboxes(client, newsletters):
    html = client.get("/").content.decode()
    footer = html[html.index('id="subscribe-footer"') :]
    assert footer.count('type="checkbox" name="newsletter"') == 4


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "not-an-email",
        "a@b",
        "reader@@example.com",
        "reader@example.com\r\nBcc: x@y.z",
        "reader@example.com\n",
        "x" * 250 + "@example.com",
        "<script>@example.com",
    ],
)
def test_bad_address_gets_the_message_a_400_and_keeps_what_was_typed(client, newsletters, email):
    response = sign_up(client, email)
    html = response.content.decode()
    assert response.status_code == 400
    assert BAD in html
    assert 'aria-invalid="true"' in html
    if email.strip() and "<" not in email:
        typed = re.sub(r"[\x00-\x1f]", "", email)[:300]  # nothing raw is echoed
        assert f'value="{typed}"' in html
    assert not Subscriber.objects.exists()
    assert not ConfirmationEmail.objects.exists()


def test_bad_address_over_fetch_gets_a_json_400(client, newsletters):
    response = sign_up(client, "nope", json=True)
    body = response.json()
    assert response.status_code == 400
    assert body.pop("form_token")  # the reader's own, so the corrected address can go at once
    assert body == {"ok": False, "errors": {"email": BAD}}


def test_good_address_without_javascript_gets_the_thank_you_page(
    client, newsletters, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = sign_up(client, "reader@example.com")
    html = response.content.decode()
    assert response.status_code == 200
    assert HEADING in html
    assert GOOD in html.replace("&#x27;", "'")
    # The worker is woken, and the confirmation queued, only once their rows have committed.
    assert [c.args[0] for c in callbacks] == [
        "subscriptions.tasks.process_sign_ups",
        "subscriptions.tasks.send_due_of",
    ]


def test_good_address_over_fetch_gets_the_answer_as_json(client, newsletters):
    response = sign_up(client, "reader@example.com", json=True)
    body = response.json()
    assert response.status_code == 200
    assert body == {"ok": True, "heading": HEADING, "message": GOOD}


def test_answer_is_identical_for_new_pending_and_confirmed_addresses(client, newsletters):
    new = sign_up(client, "known@example.com", json=True)
    pending = sign_up(client, "known@example.com", json=True)
    Subscription.objects.update(status="confirmed")
    confirmed = sign_up(client, "known@example.com", json=True)
    assert new.status_code == pending.status_code == confirmed.status_code == 200
    answers = [
        {k: v for k, v in r.json().items() if k != "form_token"} for r in (new, pending, confirmed)
    ]
    assert answers[0] == answers[1] == answers[2]


def test_sign_up_stores_pending_subscriptions_and_the_consent_shown(client, newsletters):
    sign_up(
        client,
        "reader@example.com",
        "daily",
        "weekly-review",
        ip="203.0.113.9",
        headers={"HTTP_USER_AGENT": "TestBrowser/1.0"},
    )
    subscriptions = Subscription.objects.select_related("consent", "newsletter")
    assert {s.newsletter.slug for s in subscriptions} == {"daily", "weekly-review"}
    assert {s.status for s in subscriptions} == {"pending"}
    consent = Consent.objects.get()
    assert all(s.consent == consent for s in subscriptions)
    assert consent.ip_address == "203.0.113.9"
    assert consent.user_agent == "TestBrowser/1.0"
    assert consent.page_url == "/" and consent.form_id == "daily"
    assert consent.wording == (
        "We will email you The Daily Brief and Weekly Review and nothing else. "
        "You can unsubscribe with one click from any email."
    )
    assert consent.version == app_settings.CONSENT_VERSION


def test_one_sign_up_to_several_lists_queues_one_confirmation(client, newsletters):
    sign_up(client, "reader@example.com", "daily", "explaining-ukraine", "breaking")
    request = ConfirmationEmail.objects.get()
    assert request.subscriptions.count() == 3


def test_addresses_are_normalised_and_unique_case_insensitively(client, newsletters):
    sign_up(client, "  Reader.Name@EXAMPLE.com ")
    sign_up(client, "reader.name@example.COM", "weekly-review")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "Reader.Name@example.com"
    assert subscriber.subscriptions.count() == 2


def test_international_domain_is_stored_idna_encoded(client, newsletters):
    sign_up(client, "leser@bücher.de")
    assert Subscriber.objects.get().email == "leser@xn--bcher-kva.de"


def test_repeat_sign_up_within_cooldown_sends_no_second_email(client, newsletters):
    sign_up(client, "reader@example.com")
    sign_up(client, "reader@example.com")
    assert ConfirmationEmail.objects.count() == 1


def test_every_state_change_is_an_event_with_its_actor(client, newsletters):
    sign_up(client, "reader@example.com")
    event = Event.objects.get()
    assert (event.from_status, event.to_status, event.actor) == ("", "pending", "reader")


def test_unknown_or_hidden_list_is_refused_with_a_message(client, newsletters):
    newsletters["breaking"].is_public = False
    newsletters["breaking"].save()
    response = sign_up(client, "reader@example.com", "breaking", json=True)
    assert response.status_code == 400
    assert "newsletter" in response.json()["errors"]
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
    ],
)
def test_cross_site_post_is_refused_and_stores_nothing(client, newsletters, headers):
    response = sign_up(client, "victim@example.com", origin=None, headers=headers)
    assert response.status_code == 403
    assert not Subscriber.objects.exists()


def test_partner_origin_may_post_sign_ups(client, newsletters, settings):
    settings.PARTNER_ORIGINS = ["https://partner.example"]
    response = sign_up(client, "reader@example.com", json=True, origin="https://partner.example")
    assert response.status_code == 200
    assert Subscriber.objects.exists()


def test_sign_up_form_rejects_get(client, newsletters):
    assert client.get("/subscribe/").status_code == 405


def test_unsubscribed_reader_signing_up_again_must_confirm_again(client, newsletters, settings):
    settings.CONFIRMATION_COOLDOWN = 0
    sign_up(client, "reader@example.com")
    Subscription.objects.update(status="unsubscribed")
    sign_up(client, "reader@example.com")
    subscription = Subscription.objects.get()
    assert subscription.status == "pending"
    assert ConfirmationEmail.objects.count() == 2


def test_corrected_form_without_javascript_remembers_the_article_page(client, newsletters):
    first = sign_up(client, "typo@")
    assert 'name="page" value="/"' in first.content.decode()
    retry = sign_up(client, "fixed@example.com")
    assert 'href="/">Back to the article' in retry.content.decode()
    assert Consent.objects.get().page_url == "/"
    assert "The Daily Brief" in first.content.decode()  # the form says which list it is for


def test_non_ascii_address_signed_up_twice_is_one_subscriber(client, newsletters, settings):
    settings.ALLOW_SMTPUTF8 = True  # for a provider that delivers non-ASCII local parts
    for _ in range(2):
        assert sign_up(client, "Ünal.Öz@bücher.de", json=True).status_code == 200
    assert Subscriber.objects.count() == 1
    assert Subscriber.objects.get().email == "Ünal.Öz@xn--bcher-kva.de"


def test_a_list_repeated_in_a_forged_form_counts_once_for_new_and_known_addresses(
    client, newsletters
):
    forged: dict = {"newsletter": ["daily", "daily"], "form_token": form_token()}
    new = sign_up(client, "new@example.com", **forged)
    known = sign_up(client, "new@example.com", **forged)
    assert new.status_code == known.status_code == 200
    assert new.content == known.content
    assert Subscription.objects.count() == 1


def test_article_page_with_three_forms_reads_the_lists_once(
    client, newsletters, django_assert_num_queries
):
    with django_assert_num_queries(1):
        html = client.get("/").content.decode()
    assert len(set(re.findall(r'name="form_token" value="([^"]+)"', html))) == 1


@pytest.mark.parametrize("email", ["reader\x00@example.com", "\x00", "re\x00ader@example.com"])
def test_a_nul_byte_gets_the_standard_message_and_is_not_echoed(client, newsletters, email):
    for answer in (sign_up(client, email), sign_up(client, email, json=True)):
        text = answer.content.decode()
        assert answer.status_code == 400
        assert BAD in text and "Null characters" not in text
        assert "\x00" not in text and "\\u0000" not in text
    html = sign_up(client, email).content.decode()
    assert f'value="{email.replace(chr(0), "")}"' in html
    assert not RecordedSignUp.objects.exists()


def test_a_nul_byte_in_a_hidden_field_is_dropped_not_shown(client, newsletters):
    answer = sign_up(client, "typo@", page="/news\x00/", form_id="da\x00ily")
    html = answer.content.decode()
    assert "Null characters" not in html and "\x00" not in html
    assert BAD in html


@pytest.mark.parametrize("email", ["\u0430dmin@example.com", "Ünal@example.com", "用户@例子.广告"])
def test_a_non_ascii_local_part_gets_the_standard_message(client, newsletters, email):
    answer = sign_up(client, email, json=True)
    assert answer.status_code == 400
    assert answer.json()["errors"]["email"] == BAD
    assert not RecordedSignUp.objects.exists()


def test_a_non_ascii_local_part_is_accepted_when_the_provider_supports_smtputf8(
    client, newsletters, settings
):
    settings.ALLOW_SMTPUTF8 = True
    assert sign_up(client, "\u0430dmin@example.com", json=True).status_code == 200
    assert Subscriber.objects.get().email == "\u0430dmin@example.com"


@pytest.mark.parametrize(
    "page",
    [
        "/\\evil.example/",
        "/\t/evil.example/",
        "/\\\\evil.example",
        "//evil.example/",
        "/\n/evil.example/",
        "/\x00/evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
    ],
)
def test_the_back_link_never_leaves_the_site(client, newsletters, page):
    html = sign_up(client, "fixed@example.com", page=page).content.decode()
    assert 'href="/">Back to the article' in html
    assert "evil.example" not in html
    assert Consent.objects.get().page_url == ""


def test_a_path_on_the_site_is_kept_as_the_back_link(client, newsletters):
    html = sign_up(client, "fixed@example.com", page="/news/2026/11/story/").content.decode()
    assert 'href="/news/2026/11/story/">Back to the article' in html
