"""Consent is given, never assumed: no public form ticks a list for the reader, the consent
line names exactly the lists they tick, and the stored consent holds that line."""

import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from subscriptions import services
from subscriptions.core import consent, tokens
from subscriptions.models import Consent, Subscriber, Subscription

from .support.helpers import GOOD, latest_confirmation, sign_up, staff_client

pytestmark = pytest.mark.django_db

CHECKBOX = re.compile(r'<input type="checkbox" name="newsletter"[^>]*>')
TAIL = " and nothing else. You can unsubscribe with one click from any email."


def consent_lines(html: str) -> list[str]:
    return re.findall(r'<p class="subscribe__consent"[^>]*>([^<]*)</p>', html)


def test_no_form_on_the_article_page_ticks_a_list_for_the_reader(client, newsletters):
    boxes = CHECKBOX.findall(client.get("/").content.decode())
    assert len(boxes) == 4
    assert not [box for box in boxes if "checked" in box]


def test_the_template_tag_ticks_nothing_for_any_lists(rf: RequestFactory, newsletters):
    template = Template(
        '{% load subscriptions %}{% subscribe_form "daily" "weekly-review" form_id="x" %}'
    )
    html = template.render(Context({"request": rf.get("/")}))
    boxes = CHECKBOX.findall(html)
    assert len(boxes) == 2 and not [box for box in boxes if "checked" in box]


def test_each_consent_line_names_its_list_or_the_lists_the_reader_ticks(client, newsletters):
    lines = consent_lines(client.get("/").content.decode())
    assert lines == [
        f"We will email you The Daily Brief{TAIL}",
        f"We will email you Explaining Ukraine with Kate Tsurkan{TAIL}",
        "We will email you the newsletters you tick and nothing else. "
        "You can unsubscribe with one click from any email.",
    ]


@pytest.mark.parametrize(
    ("ticked", "named"),
    [
        (["breaking"], "Breaking News Alerts"),
        (["daily", "breaking"], "The Daily Brief and Breaking News Alerts"),
        (
            ["daily", "weekly-review", "breaking"],
            "The Daily Brief, Weekly Review and Breaking News Alerts",
        ),
    ],
)
def test_the_stored_consent_names_exactly_the_lists_ticked(client, newsletters, ticked, named):
    offered = ["daily", "explaining-ukraine", "weekly-review", "breaking"]
    answer = sign_up(client, "r@example.com", *ticked, form_id="footer", offered=offered)
    assert GOOD in answer.content.decode()
    given = Consent.objects.get()
    assert given.wording == f"We will email you {named}{TAIL}"
    assert given.wording == consent.wording(
        [newsletters[slug].name for slug in ticked]
    )  # what subscribe.js shows for the same ticks: tests/browser/test_second_steps.py
    assert given.form_id == "footer"


def test_a_form_sent_with_no_list_ticked_asks_for_one_and_records_nothing(client, newsletters):
    answer = sign_up(client, "r@example.com", newsletter=[], form_id="footer", json=True)
    assert answer.status_code == 400
    assert answer.json()["errors"]["newsletter"] == "Please choose at least one newsletter"
    assert not Subscriber.objects.exists()


def test_a_form_shown_again_keeps_only_the_readers_own_ticks_and_names_them(client, newsletters):
    offered = ["daily", "explaining-ukraine", "weekly-review", "breaking"]
    html = sign_up(
        client, "not-an-email", "weekly-review", form_id="footer", offered=offered
    ).content.decode()
    ticked = [box for box in CHECKBOX.findall(html) if "checked" in box]
    assert len(ticked) == 1 and 'value="weekly-review"' in ticked[0]
    assert consent_lines(html) == [f"We will email you Weekly Review{TAIL}"]


def test_an_old_consent_keeps_its_wording_and_says_what_its_version_meant(client, newsletters):
    sign_up(client, "old@example.com", "daily")
    old = Consent.objects.get()
    Consent.objects.filter(pk=old.pk).update(
        version="2026-11", wording="We will email you this newsletter and nothing else."
    )
    page = staff_client("view_consent").get(f"/admin/subscriptions/consent/{old.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "We will email you this newsletter and nothing else." in html
    assert "every list ticked in advance" in html  # consent.VERSIONS["2026-11"]
    assert consent.meaning("2026-12") and consent.meaning("no such version") == ""


def test_subscribe_again_shows_the_line_it_stores(client, newsletters):
    sign_up(client, "back@example.com", "daily")
    services.confirm(email_id=latest_confirmation().pk)
    subscription = Subscription.objects.get()
    client.get(f"/unsubscribe/{tokens.make_unsubscribe_token(subscription.pk)}/")
    page = client.post("/unsubscribe/").content.decode()
    line = f"We will email you The Daily Brief{TAIL}"
    assert "Subscribe again" in page and line in page
    client.post("/unsubscribe/", {"action": "resubscribe"})
    assert Consent.objects.latest("given_at").wording == line
