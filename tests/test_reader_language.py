"""Whose word sets a reader's language (issue 20, item 6): anyone may type an address into a
form, so a sign-up sets the language of a new or pending subscriber only; a confirmed reader's
changes only through their own confirmation or their preference center, on the record."""

import pytest

from subscriptions import services
from subscriptions.models import Subscriber

from .support.helpers import confirmed, latest_confirmation, sign_up

pytestmark = pytest.mark.django_db

CAROL = "carol@example.com"
UKRAINIAN = {"HTTP_ACCEPT_LANGUAGE": "uk"}


def test_a_strangers_sign_up_leaves_a_confirmed_readers_language_as_she_chose_it(
    client, newsletters, settings
):
    carol = confirmed(client, CAROL, "daily")
    assert carol.language == "en"
    before = (carol.changed_at, carol.changed_by)
    sign_up(client, CAROL, "weekly-review", headers=UKRAINIAN)  # a stranger's sign-up
    settings.ADDRESS_DAILY_CAP = 1  # and one over her cap, which sends nothing at all
    sign_up(client, CAROL, "breaking", headers=UKRAINIAN)
    carol.refresh_from_db()
    assert carol.language == "en"
    assert (carol.changed_at, carol.changed_by) == before
    # The confirmation the stranger's sign-up asked for is in the sign-up's own language.
    assert latest_confirmation().language == "uk"


def test_her_own_confirmation_of_a_sign_up_sets_her_language_on_the_record(client, newsletters):
    carol = confirmed(client, CAROL, "daily")
    sign_up(client, CAROL, "weekly-review", headers=UKRAINIAN)
    services.confirm(email_id=latest_confirmation().pk)
    carol.refresh_from_db()
    assert (carol.language, carol.changed_by) == ("uk", "reader")
    assert carol.changed_at is not None


def test_a_new_or_pending_subscriber_gets_the_language_of_their_latest_sign_up(
    client, newsletters
):
    sign_up(client, "new@example.com", "daily", headers=UKRAINIAN)
    new = Subscriber.objects.get(email="new@example.com")
    assert (new.language, new.changed_by) == ("uk", "reader")
    sign_up(client, "new@example.com", "weekly-review", headers={"HTTP_ACCEPT_LANGUAGE": "en"})
    new.refresh_from_db()
    assert new.language == "en"  # still pending: their latest sign-up's
