"""'Did you mean …?' is asked before anything is recorded, and the reader chooses: the
suggestion or what they typed. (With script, the page asks before it sends anything:
tests/browser/test_second_steps.py.)"""

import pytest

from subscriptions.models import ConfirmationEmail, RecordedSignUp, Subscriber

from .support.helpers import GOOD, sign_up

pytestmark = pytest.mark.django_db

TYPED = "typo@gmial.com"
SUGGESTED = "typo@gmail.com"


def test_a_likely_typo_gets_the_question_over_fetch_and_nothing_is_recorded(client, newsletters):
    answer = sign_up(client, TYPED, json=True)
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is False and body["errors"] == {}
    assert body["question"] == {
        "message": f"Did you mean {SUGGESTED}?",
        "typed": TYPED,
        "suggested": SUGGESTED,
    }
    assert not RecordedSignUp.objects.exists() and not Subscriber.objects.exists()


def test_without_script_the_question_page_offers_both_addresses_and_records_nothing(
    client, newsletters
):
    page = sign_up(client, TYPED)
    html = page.content.decode()
    assert page.status_code == 200 and GOOD not in html
    assert f"Did you mean {SUGGESTED}?" in html
    assert f'name="email_choice" value="{SUGGESTED}">Yes, use {SUGGESTED}</button>' in html
    assert f'name="email_choice" value="{TYPED}">No, keep {TYPED}</button>' in html
    assert not RecordedSignUp.objects.exists() and not Subscriber.objects.exists()


@pytest.mark.parametrize("choice", [SUGGESTED, TYPED], ids=["the suggestion", "as typed"])
def test_each_choice_signs_up_the_address_chosen(client, newsletters, choice):
    answer = sign_up(client, TYPED, email_choice=choice)
    assert answer.status_code == 200 and GOOD in answer.content.decode()
    assert ConfirmationEmail.objects.get().subscriber.email == choice
    assert [s.email for s in Subscriber.objects.all()] == [choice]


def test_a_reader_who_insists_is_not_asked_again(client, newsletters):
    # As the page's script sends it: the address the reader checked beside what they typed.
    answer = sign_up(client, TYPED, email_checked=TYPED, json=True)
    assert answer.json()["ok"] is True
    assert Subscriber.objects.get().email == TYPED


def test_the_question_is_asked_again_of_another_typo_after_the_choice(client, newsletters):
    body = sign_up(client, "other@hotmal.com", email_checked=TYPED, json=True).json()
    assert body["question"]["suggested"] == "other@hotmail.com"
    assert not RecordedSignUp.objects.exists()


def test_the_question_is_the_same_whether_or_not_the_address_is_known(client, newsletters):
    sign_up(client, TYPED, email_choice=TYPED)
    assert Subscriber.objects.filter(email=TYPED).exists()
    known = sign_up(client, TYPED, json=True).json()
    unknown = sign_up(client, "typo2@gmial.com", json=True).json()
    assert known["question"]["message"] == f"Did you mean {SUGGESTED}?"
    assert set(known) == set(unknown)
    assert known["ok"] == unknown["ok"] and known["errors"] == unknown["errors"]


def test_a_common_domain_a_subdomain_of_one_or_an_unlike_one_gets_no_question(client, newsletters):
    # x@bob.fastmail.com is as close to fastmail.com as a slip, but it is a Fastmail address.
    for email in ("reader@gmail.com", "x@bob.fastmail.com", "reader@example.com"):
        assert sign_up(client, email, json=True).json()["ok"] is True, email
    assert Subscriber.objects.count() == 3
