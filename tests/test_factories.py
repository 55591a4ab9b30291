"""The bulk factory of confirmed readers: cheap enough for tests of sends to 10,000, and what
it writes is what the lists' counts and /metrics then show."""

import time

import pytest

from subscriptions import services
from subscriptions.core import tally
from subscriptions.models import Newsletter, Status, Subscriber, Subscription

from .support.factories import confirmed_readers
from .support.helpers import sign_up

pytestmark = pytest.mark.django_db

READERS = 10_000
CONFIRMED = 'newsroom_subscriptions{list="daily",status="confirmed"}'


def confirmed_count(newsletter: Newsletter) -> int:
    return Newsletter.objects.with_confirmed_count().get(pk=newsletter.pk).confirmed_count


def test_10000_confirmed_readers_take_a_few_hundred_queries_not_one_per_reader(
    newsletters, django_assert_max_num_queries, capsys
):
    daily = newsletters["daily"]
    before = confirmed_count(daily)
    started = time.perf_counter()
    # SQLite takes 90 to 500 rows a statement (its 999 parameters): some 200 statements for
    # three models, where a query per reader would be 10,000 at least.
    with django_assert_max_num_queries(READERS // 40):
        confirmed_readers(daily, READERS)
    took = time.perf_counter() - started
    assert confirmed_count(daily) == before + READERS
    with capsys.disabled():
        print(f"\n[factories] {READERS:,} confirmed readers made in {took:.1f} s")


def test_the_readers_show_as_confirmed_on_metrics_and_a_recount_agrees(newsletters, scrape):
    daily = newsletters["daily"]
    before = scrape()[CONFIRMED]
    confirmed_readers(daily, 50)
    assert scrape()[CONFIRMED] == before + 50
    counts = tally.counts()
    services.recount_tallies()
    assert tally.counts() == counts  # the running count was kept as the rows say


def test_a_made_reader_who_signs_up_again_is_found_and_stays_confirmed(client, newsletters):
    [made] = confirmed_readers(newsletters["daily"], 1)
    readers = Subscriber.objects.count()
    sign_up(client, made.subscriber.email.upper(), "daily")
    assert Subscriber.objects.count() == readers  # keyed as the sign-up keys an address
    assert Subscription.objects.get(pk=made.pk).status == Status.CONFIRMED
