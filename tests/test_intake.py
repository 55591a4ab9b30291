"""The sign-up intake: the request records one row and answers the same for every address; a
worker turns recorded sign-ups into subscriptions and emails, in batches, losing and doubling
nothing."""

from datetime import timedelta
from unittest import mock

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from subscriptions import services
from subscriptions.app_settings import app_settings
from subscriptions.core import dispatch
from subscriptions.guards.abuse import reset_limits
from subscriptions.models import (
    ConfirmationEmail,
    Consent,
    RecordedSignUp,
    Subscriber,
    Subscription,
)

from .support.helpers import GOOD, form_data

pytestmark = pytest.mark.django_db

PROCESS = "subscriptions.tasks.process_sign_ups"


def post(client, email: str, *slugs: str, **headers: str):
    """The request alone, as a browser sends it: no worker runs after it."""
    headers = {"HTTP_ORIGIN": "http://testserver", "HTTP_ACCEPT": "application/json", **headers}
    return client.post("/subscribe/", form_data(email, *slugs), **headers)


def test_the_request_records_the_sign_up_and_leaves_deciding_to_a_worker(client, newsletters):
    answer = post(client, "reader@example.com", "daily", "weekly-review", HTTP_USER_AGENT="UA/1")
    assert answer.status_code == 200 and answer.json()["message"] == GOOD
    assert not Subscriber.objects.exists()
    row = RecordedSignUp.objects.get()
    assert row.email == "reader@example.com"
    assert sorted(row.newsletter_ids) == sorted(
        [newsletters["daily"].pk, newsletters["weekly-review"].pk]
    )
    assert (row.page_url, row.form_id, row.user_agent, row.language) == (
        "/",
        "daily",
        "UA/1",
        "en",
    )
    assert row.wording.startswith("We will email you")


def test_the_request_writes_one_insert_and_reads_nothing_about_the_address(
    client, newsletters, settings
):
    # The per-IP counters in Redis, as in production (without Redis they are rows here too).
    settings.RATE_LIMIT_STORAGE_URL = "memory://"
    reset_limits()
    post(client, "warm-up@example.com")  # the lists are read once per process, then cached
    with CaptureQueriesContext(connection) as queries:
        post(client, "reader@example.com")
    assert len(queries) == 1
    assert queries[0]["sql"].startswith('INSERT INTO "subscriptions_recordedsignup"')


def sql_of_a_request(client, email: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert post(client, email).json()["message"] == GOOD
    return [q["sql"].split(" VALUES ")[0] for q in queries]


def test_the_request_does_the_same_for_unknown_pending_confirmed_and_capped_addresses(
    client, newsletters, settings
):
    settings.CONFIRMATION_COOLDOWN = 0
    settings.RATE_LIMIT_STORAGE_URL = "memory://"  # per IP, not per address: not compared here
    reset_limits()
    for _ in range(app_settings.ADDRESS_DAILY_CAP):
        post(client, "capped@example.com")
    post(client, "pending@example.com")
    post(client, "confirmed@example.com")
    services.process_recorded_sign_ups()
    confirmed = ConfirmationEmail.objects.get(subscriber__email="confirmed@example.com")
    services.confirm(email_id=confirmed.pk)
    post(client, "warm-up@example.com")
    states = ["new@example.com", "pending@example.com", "confirmed@example.com"]
    work = {email: sql_of_a_request(client, email) for email in [*states, "capped@example.com"]}
    assert len({tuple(sql) for sql in work.values()}) == 1, work


def test_the_worker_makes_subscriptions_consent_and_one_email_and_deletes_the_record(
    client, newsletters
):
    post(client, "reader@example.com", "daily", "weekly-review", REMOTE_ADDR="203.0.113.9")
    assert services.process_recorded_sign_ups() == 1
    assert not RecordedSignUp.objects.exists()
    assert set(Subscription.objects.values_list("status", flat=True)) == {"pending"}
    consent = Consent.objects.get()
    assert (consent.ip_address, consent.form_id, consent.page_url) == ("203.0.113.9", "daily", "/")
    assert Subscription.objects.filter(consent=consent).count() == 2
    email = ConfirmationEmail.objects.get()
    assert email.subscriptions.count() == 2 and email.language == "en"


def test_a_bombed_address_gets_at_most_the_daily_cap_from_one_batch(client, newsletters, settings):
    settings.CONFIRMATION_COOLDOWN = 0
    settings.SIGNUP_IP_LIMITS = ""
    for i in range(50):
        post(client, "victim@example.com", list(newsletters)[i % 4])
    assert services.process_recorded_sign_ups() == 50
    assert ConfirmationEmail.objects.count() == app_settings.ADDRESS_DAILY_CAP
    assert Subscriber.objects.count() == 1


def test_a_double_submit_in_one_batch_sends_one_email(client, newsletters):
    post(client, "double@example.com", "daily", "weekly-review")
    post(client, "Double@example.com", "daily", "weekly-review")  # the same inbox
    services.process_recorded_sign_ups()
    assert ConfirmationEmail.objects.count() == 1
    assert Subscription.objects.count() == 2


def test_a_row_that_fails_waits_with_a_backoff_and_the_rest_of_its_batch_goes_on(
    client, newsletters, caplog
):
    post(client, "first@example.com")
    RecordedSignUp.objects.create(
        email="broken@example.com",
        newsletter_ids=["not a list id"],
        wording="W",
        version="1",
        created_at=timezone.now(),
        due_at=timezone.now(),
    )
    post(client, "last@example.com")
    assert services.process_recorded_sign_ups() == 3
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        "first@example.com",
        "last@example.com",
    }
    broken = RecordedSignUp.objects.get()
    assert broken.attempts == 1 and broken.due_at > timezone.now() + timedelta(seconds=20)
    assert "ValueError" in broken.last_error
    assert "event=signups.failed" in caplog.text
    assert services.process_recorded_sign_ups() == 0  # not due again before its backoff


def test_erasure_also_deletes_sign_ups_not_processed_yet(client, newsletters):
    post(client, "gone@example.com")
    services.process_recorded_sign_ups()
    post(client, "GONE@example.com", "weekly-review")
    subscriber = Subscriber.objects.get()
    services.erase_subscriber(subscriber_id=subscriber.pk, actor="editor:kate")
    assert not RecordedSignUp.objects.exists()


def test_many_sign_ups_wake_the_worker_once_per_window_to_run_after_it(
    newsletters, django_capture_on_commit_callbacks, settings
):
    consent = services.ConsentInput("/", "daily", None, "", "W", "1")
    clock = mock.Mock(return_value=1000.0)

    def record(email: str) -> None:
        with django_capture_on_commit_callbacks(execute=True):  # each request commits
            services.record_sign_up(
                email=email, newsletter_ids=[newsletters["daily"].pk], consent=consent, language=""
            )

    with (
        mock.patch.object(dispatch, "publish", return_value=True) as published,
        mock.patch("subscriptions.core.dispatch.time.monotonic", clock),
    ):
        dispatch.forget_wake_ups()
        for i in range(5):
            record(f"r{i}@example.com")
            clock.return_value += app_settings.SIGNUP_WAKE_WITHIN / 10
        clock.return_value += app_settings.SIGNUP_WAKE_WITHIN
        record("later@example.com")
    wake = mock.call(PROCESS, (), countdown=app_settings.SIGNUP_WAKE_WITHIN)
    assert published.call_args_list == [wake, wake]
    assert RecordedSignUp.objects.count() == 6


def test_a_drain_over_its_time_budget_queues_itself_again_for_the_rest(
    client, newsletters, settings, django_capture_on_commit_callbacks
):
    settings.SIGNUP_BATCH_SIZE = 2
    for i in range(5):
        post(client, f"r{i}@example.com")
    with (
        mock.patch.object(dispatch, "publish") as published,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.process_recorded_sign_ups(budget=0) == 2
    assert mock.call(PROCESS, ()) in published.call_args_list
    assert RecordedSignUp.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite connections are not kept between requests"
)
def test_a_sign_up_on_a_connection_the_database_dropped_is_still_recorded(client, newsletters):
    post(client, "before@example.com")  # the web process keeps this connection open
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [pid] = cursor.fetchone()
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"], port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"], autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])  # as a database restart does
    answer = post(client, "after@example.com")
    assert answer.status_code == 200 and answer.json()["message"] == GOOD
    assert RecordedSignUp.objects.filter(email="after@example.com").exists()
