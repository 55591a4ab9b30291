"""The app's settings: defaults in one module, read when used, set from the environment."""

import pytest

from newsroom.env import env_app_settings
from subscriptions.app_settings import Defaults, app_settings


def test_a_setting_overridden_in_a_test_is_seen_at_once(settings):
    settings.ADDRESS_DAILY_CAP = 7
    assert app_settings.ADDRESS_DAILY_CAP == 7


def test_a_project_that_leaves_a_setting_out_gets_the_apps_default(settings):
    del settings.CONFIRMATION_COOLDOWN
    assert app_settings.CONFIRMATION_COOLDOWN == Defaults.CONFIRMATION_COOLDOWN == 600


def test_the_rate_limit_store_is_redis_when_there_is_one_else_the_database(settings):
    settings.RATE_LIMIT_STORAGE_URL, settings.REDIS_URL = "", ""
    assert app_settings.rate_limit_storage_url == "database://"
    settings.REDIS_URL = "redis://cache.internal:6379/0"
    assert app_settings.rate_limit_storage_url == "redis://cache.internal:6379/0"
    settings.RATE_LIMIT_STORAGE_URL = "redis://limits.internal:6379/1"
    assert app_settings.rate_limit_storage_url == "redis://limits.internal:6379/1"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SEND_LEASE", "300", 300),
        ("SIGNUP_MIN_FILL_SECONDS", "0.5", 0.5),
        ("EMAIL_CHECK_DELIVERABILITY", "yes", True),
        ("EMAIL_CHECK_DELIVERABILITY", "0", False),
        (
            "PARTNER_ORIGINS",
            "https://a.example, https://b.example",
            ("https://a.example", "https://b.example"),
        ),
        ("SIGNUP_IP_LIMITS", "", ""),  # an empty text switches the per-IP limit off
    ],
)
def test_the_environment_sets_each_app_setting_as_its_type(monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    assert env_app_settings(Defaults)[variable] == expected


def test_an_empty_number_in_the_environment_keeps_the_default(monkeypatch):
    monkeypatch.setenv("SEND_LEASE", "")
    monkeypatch.delenv("SIGNUP_IP_LIMITS", raising=False)
    values = env_app_settings(Defaults)
    assert "SEND_LEASE" not in values and "SIGNUP_IP_LIMITS" not in values
