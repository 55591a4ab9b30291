"""Configuration from the environment, health check and the dev mailbox."""

import pytest
from django.core import mail
from django.db import OperationalError

from newsroom.celery import app

from .support.clean_process import run_clean, settings_value
from .support.helpers import sign_up


def test_every_anymail_variable_becomes_an_anymail_setting():
    value = settings_value(
        "sorted(s.ANYMAIL.items())",
        DEBUG="1",
        ANYMAIL_POSTMARK_SERVER_TOKEN="tok",
        ANYMAIL_POSTMARK_API_URL="http://127.0.0.1:9/",
        ANYMAIL_IGNORE_RECIPIENT_STATUS="false",
        ANYMAIL_REQUESTS_TIMEOUT="7.5",
    )
    assert value == (
        "[('IGNORE_RECIPIENT_STATUS', False), ('POSTMARK_API_URL', 'http://127.0.0.1:9/'), "
        "('POSTMARK_SERVER_TOKEN', 'tok'), ('REQUESTS_TIMEOUT', 7.5)]"
    )


def test_provider_calls_time_out_inside_the_task_time_limit():
    assert (
        settings_value("s.ANYMAIL['REQUESTS_TIMEOUT'] < s.CELERY_TASK_SOFT_TIME_LIMIT", DEBUG="1")
        == "True"
    )


def test_secret_key_is_required_when_debug_is_off():
    assert "SECRET_KEY is required" in settings_value("s.SECRET_KEY", DEBUG="0")


def test_email_backend_is_required_when_debug_is_off():
    value = settings_value("s.EMAIL_BACKEND", DEBUG="0", SECRET_KEY="x" * 50)
    assert "EMAIL_BACKEND is required" in value


def test_the_webhook_secret_is_required_when_debug_is_off():
    value = settings_value(
        "s.ANYMAIL",
        DEBUG="0",
        SECRET_KEY="x" * 50,
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
    )
    assert "ANYMAIL_WEBHOOK_SECRET (user:password) is required" in value


def test_the_erasure_hash_key_is_required_when_debug_is_off():
    value = settings_value(
        "s.ERASURE_HASH_KEY",
        DEBUG="0",
        SECRET_KEY="x" * 50,
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        ANYMAIL_WEBHOOK_SECRET="anymail:secret",
    )
    assert "ERASURE_HASH_KEY is required" in value


@pytest.mark.parametrize("value", ['{"MessageStream": ', '["broadcast"]'])
def test_list_provider_options_that_are_not_a_json_object_stop_the_start(value):
    result = settings_value("s.LIST_ESP_EXTRA", DEBUG="1", LIST_ESP_EXTRA=value)
    assert "LIST_ESP_EXTRA must be a JSON object" in result


def test_embedded_defaults_need_no_server():
    value = settings_value(
        "s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND, s.SITE_URL",
        DEBUG="1",
        PORT="8111",
    )
    assert value == (
        "('django.db.backends.sqlite3', 'filesystem://', "
        "'newsroom.devmail.EmailBackend', 'http://127.0.0.1:8111')"
    )


def test_database_and_broker_come_from_the_environment():
    value = settings_value(
        "s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND']",
        DEBUG="1",
        DATABASE_URL="postgres://u@db.internal:5432/news",
        REDIS_URL="redis://cache.internal:6379/0",
    )
    assert value == (
        "('news', 'redis://cache.internal:6379/0', 'django.core.cache.backends.redis.RedisCache')"
    )


@pytest.mark.django_db
def test_healthz_reports_database_and_broker_without_configuration(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    # The Celery app outlives the test; monkeypatch puts its broker back whatever happens.
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unavailable"}
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_dev_mailbox_lists_mail_with_clickable_links_only_in_debug(client, settings, tmp_path):
    settings.EMAIL_BACKEND = "newsroom.devmail.EmailBackend"
    settings.DEV_MAIL_DIR = tmp_path
    mail.send_mail("Hello", "Open http://testserver/confirm/abc/ now", None, ["r@example.com"])
    assert len(list(tmp_path.glob("*.eml"))) == 1
    assert client.get("/dev/mailbox/").status_code == 404
    settings.DEBUG = True
    page = client.get("/dev/mailbox/").content.decode()
    assert '<a href="http://testserver/confirm/abc/"' in page
    assert "r@example.com" in page


@pytest.mark.django_db
def test_database_outage_answers_503_with_retry_after_not_a_500(client, newsletters, monkeypatch):
    def database_down(**kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("subscriptions.services.record_sign_up", database_down)
    fetch = sign_up(client, "reader@example.com", json=True)
    assert fetch.status_code == 503 and fetch["Retry-After"] == "30"
    assert "try again" in fetch.json()["message"]
    page = sign_up(client, "reader@example.com")
    assert page.status_code == 503 and "Temporarily unavailable" in page.content.decode()


def test_beat_and_redis_follow_the_app_settings_the_environment_sets(tmp_path):
    code = (
        "from newsroom.celery import app; c = app.conf\n"
        "print(c.beat_schedule['send-due']['schedule'], c.beat_schedule['process-sign-ups']"
        "['schedule'], c.broker_transport_options['visibility_timeout'])"
    )
    env = {"DJANGO_SETTINGS_MODULE": "newsroom.settings", "DEBUG": "1", "VAR_DIR": str(tmp_path)}
    redis = {**env, "REDIS_URL": "redis://cache.internal:6379/0"}
    # Nothing set: the app's defaults (sweeps every 10 s and 5 s, retries up to 30 minutes).
    assert run_clean(["-c", code], **redis).stdout.split() == ["10.0", "5.0", "7200"]
    changed = {**redis, "OUTBOX_SWEEP_INTERVAL": "7", "SEND_BACKOFF_MAX": "100"}
    assert run_clean(["-c", code], **changed).stdout.split() == ["7.0", "5.0", "3800"]
