"""The daily cap and the cooldown count per inbox, not per spelling of its address; and one
subscriber per address whatever its case, on SQLite as on PostgreSQL."""

import threading
from unittest import mock

import pytest
from django.db import connection, transaction

from subscriptions import services
from subscriptions.app_settings import app_settings
from subscriptions.guards.validation import inbox_key
from subscriptions.models import ConfirmationEmail, Inbox, Subscriber
from subscriptions.services import signup as signup_flow
from subscriptions.services import signup_plan

from .support.helpers import BAD, sign_up

pytestmark = pytest.mark.django_db

CONSENT = services.ConsentInput("/", "footer", "203.0.113.5", "UA", "wording", "1")


@pytest.mark.parametrize(
    ("address", "inbox"),
    [
        ("Victim+news@Example.com", "victim@example.com"),
        ("v.i.c.t.i.m@gmail.com", "victim@gmail.com"),
        ("Vic.Tim+1@googlemail.com", "victim@gmail.com"),
        ("vic.tim@example.com", "vic.tim@example.com"),  # dots count outside Gmail
        ("+only@example.com", "+only@example.com"),
        # Fastmail's subdomain addressing: anything@user.fastmail.com is user's inbox.
        ("x0@CapVictim.fastmail.com", "capvictim@fastmail.com"),
        ("news+1@capvictim.fastmail.fm", "capvictim@fastmail.fm"),
        ("shop@joe.sent.com", "joe@sent.com"),
        ("a@b.c.fastmail.com", "a@b.c.fastmail.com"),  # no one username: left as it is
        ("x@someone.example.com", "x@someone.example.com"),
    ],
)
def test_the_inbox_key_of_an_address(address, inbox):
    assert inbox_key(address) == inbox


def test_ten_spellings_of_one_inbox_get_at_most_the_daily_cap(client, newsletters, settings):
    settings.CONFIRMATION_COOLDOWN = 0
    variants = [f"victim+{i}@gmail.com" for i in range(1, 8)]
    variants += ["vic.tim@gmail.com", "v.ictim@googlemail.com", "victim@gmail.com"]
    for address in variants:
        assert sign_up(client, address, json=True).status_code == 200
    emails = ConfirmationEmail.objects.select_related("subscriber")
    assert emails.count() == app_settings.ADDRESS_DAILY_CAP == 3
    # Each is sent to the address as the reader typed it.
    assert {e.subscriber.email for e in emails} == set(variants[:3])
    assert Subscriber.objects.count() == 10


def test_six_subdomain_spellings_of_one_fastmail_inbox_get_at_most_the_daily_cap(
    client, newsletters, settings
):
    settings.CONFIRMATION_COOLDOWN = 0
    for i in range(6):
        sign_up(client, f"x{i}@capvictim.fastmail.com", json=True)
    assert ConfirmationEmail.objects.count() == app_settings.ADDRESS_DAILY_CAP == 3


def test_the_cooldown_holds_across_spellings_of_one_inbox(client, newsletters):
    sign_up(client, "reader+a@example.com", "daily")
    sign_up(client, "reader+b@example.com", "daily")
    sign_up(client, "reader@example.com", "weekly-review")  # another list: not cooling down
    assert ConfirmationEmail.objects.count() == 2


def test_one_subscriber_per_address_whatever_its_case(client, newsletters, settings):
    settings.ALLOW_SMTPUTF8 = True
    for address in ("Öz@example.com", "öz@example.com", "ÖZ@EXAMPLE.COM"):
        assert sign_up(client, address, json=True).status_code == 200
    assert Subscriber.objects.count() == 1
    assert Subscriber.objects.get().email == "Öz@example.com"  # the first spelling is kept


@pytest.mark.django_db(transaction=True)
def test_two_spellings_signed_up_at_once_are_decided_one_after_the_other(newsletters, settings):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite runs one writer at a time: the two can't overlap there")
    settings.ADDRESS_DAILY_CAP = 1
    settings.CONFIRMATION_COOLDOWN = 0
    Inbox.objects.create(key="victim@example.com")  # an inbox seen before: nothing to insert
    first_holds, results = threading.Event(), {}
    original = signup_plan.locked_subscribers

    def slow_locked_subscribers(emails):
        locked = original(emails)
        if "victim+1@example.com" in emails:
            first_holds.set()
            threading.Event().wait(0.5)  # hold the inbox while the other arrives
        return locked

    def sign_up_in_thread(address: str) -> None:
        try:
            with transaction.atomic():
                result = services.sign_up(
                    email=address, newsletters=[newsletters["daily"]], consent=CONSENT
                )
            results[address] = result.confirmation_email_id
        finally:
            connection.close()

    with mock.patch.object(signup_flow, "locked_subscribers", slow_locked_subscribers):
        first = threading.Thread(target=sign_up_in_thread, args=("victim+1@example.com",))
        first.start()
        assert first_holds.wait(10)
        second = threading.Thread(target=sign_up_in_thread, args=("victim+2@example.com",))
        second.start()
        first.join(20)
        second.join(20)
    assert results["victim+1@example.com"] is not None
    assert results["victim+2@example.com"] is None  # it waited, then found the cap used
    assert ConfirmationEmail.objects.count() == 1


def test_a_local_part_over_64_characters_is_refused(client, newsletters):
    # RFC 5321's limit: a longer one is no mailbox, and it folded to victim@gmail.com's inbox.
    answer = sign_up(client, "victim+" + "x" * 70 + "@gmail.com", json=True)
    assert answer.status_code == 400 and answer.json()["errors"]["email"] == BAD
    assert not Subscriber.objects.exists()
