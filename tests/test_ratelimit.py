"""The per-IP limit: on Redis, every configured limit counted in one round trip, and still
counted after Redis forgets its scripts (a restart); without Redis, one counter in the
database that every process shares."""

import time
from unittest import mock

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subscriptions.app_settings import app_settings
from subscriptions.guards import ratelimit
from subscriptions.models import RateCounter, RecordedSignUp
from subscriptions.tasks import drop_expired_rate_counters

from .support.helpers import sign_up_over_http
from .support.redis_server import RedisServer
from .support.stack import require_binary


@pytest.fixture
def private_redis(settings, tmp_path):
    server = RedisServer(require_binary("redis-server"), tmp_path).start()
    settings.RATE_LIMIT_STORAGE_URL = server.url
    yield server
    server.stop()


def test_each_ip_gets_the_tightest_limit_on_redis_and_others_are_apart(
    settings, private_redis, one_rate_window
):
    one_rate_window()
    settings.SIGNUP_IP_LIMITS = "2/minute;3/day"
    assert [ratelimit.within_limits("198.51.100.1") for _ in range(3)] == [True, True, False]
    assert ratelimit.within_limits("198.51.100.2")
    settings.SIGNUP_IP_LIMITS = "50/minute;3/day"  # now the daily limit is the tight one
    assert [ratelimit.within_limits("198.51.100.3") for _ in range(4)] == [True] * 3 + [False]


def test_all_limits_go_to_redis_in_one_round_trip(settings, private_redis):
    settings.SIGNUP_IP_LIMITS = "10/minute;100/day"
    ratelimit.within_limits("198.51.100.9")  # scripts loaded, connection open
    connection = redis.connection.Connection
    with mock.patch.object(
        connection,
        "send_packed_command",
        autospec=True,
        side_effect=connection.send_packed_command,
    ) as sent:
        assert ratelimit.within_limits("198.51.100.9")
    assert sent.call_count == 1


def test_limits_still_count_after_redis_forgets_its_scripts(
    settings, private_redis, one_rate_window
):
    one_rate_window()
    settings.SIGNUP_IP_LIMITS = "2/minute"
    assert ratelimit.within_limits("198.51.100.7")
    redis.Redis.from_url(private_redis.url).script_flush()
    assert ratelimit.within_limits("198.51.100.7")
    assert not ratelimit.within_limits("198.51.100.7")


@pytest.mark.worker
def test_without_redis_every_web_process_shares_one_per_ip_counter(make_stack, one_rate_window):
    # As under `make run`: no Redis, several gunicorn workers. Counted per process, 4 workers
    # would let up to 40 through.
    stack = make_stack(SIGNUP_IP_LIMITS="10/minute", RATE_LIMIT_STORAGE_URL="database://")
    url = stack.start_web(workers=4)
    one_rate_window()
    answers = [sign_up_over_http(url, f"r{i}@example.com") for i in range(25)]
    assert [a.status_code for a in answers] == [200] * 10 + [429] * 15  # told to wait
    assert RecordedSignUp.objects.count() == 10


def test_the_database_counter_holds_the_tightest_limit(settings, db, one_rate_window):
    one_rate_window()
    settings.RATE_LIMIT_STORAGE_URL = "database://"
    settings.SIGNUP_IP_LIMITS = "2/minute;3/day"
    assert [ratelimit.within_limits("198.51.100.1") for _ in range(3)] == [True, True, False]
    assert ratelimit.within_limits("198.51.100.2")
    settings.SIGNUP_IP_LIMITS = "50/minute;3/day"
    assert [ratelimit.within_limits("198.51.100.3") for _ in range(4)] == [True] * 3 + [False]


def test_without_redis_the_counters_live_in_the_database(settings):
    settings.RATE_LIMIT_STORAGE_URL, settings.REDIS_URL = "", ""
    assert app_settings.rate_limit_storage_url == "database://"


def test_windows_that_ran_out_are_dropped_from_the_database(settings, db, monkeypatch):
    settings.RATE_LIMIT_STORAGE_URL = "database://"
    settings.SIGNUP_IP_LIMITS = "5/second"
    assert ratelimit.within_limits("198.51.100.4")
    assert RateCounter.objects.exists()
    later = time.time() + 3600  # every window of that hit has run out by then
    monkeypatch.setattr(time, "time", lambda: later)  # as counters.py reads it
    assert ratelimit.within_limits("198.51.100.5")
    drop_expired_rate_counters.apply()  # beat's every few minutes, not the request's
    assert not RateCounter.objects.filter(key__contains="198.51.100.4").exists()
    assert RateCounter.objects.filter(key__contains="198.51.100.5").exists()


def test_a_refused_hit_reads_the_database_counter_and_writes_nothing(
    settings, db, one_rate_window
):
    # A flood is what the limit exists for: each refused request must cost no write (on
    # SQLite every write takes the one write lock every sign-up needs).
    settings.RATE_LIMIT_STORAGE_URL = "database://"
    settings.SIGNUP_IP_LIMITS = "1/minute"
    one_rate_window()
    assert ratelimit.within_limits("198.51.100.6")
    with CaptureQueriesContext(connection) as queries:
        assert not ratelimit.within_limits("198.51.100.6")
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements and set(statements) == {"SELECT"}
