"""The app's settings: defaults in one module, read when used, set from the environment."""

from dataclasses import fields

import pytest

from newsroom import settings as project_settings
from newsroom.env import env_given
from subscriptions.app_settings import Defaults, app_settings

from .support.clean_process import app_setting_value, run_clean

KIND_OF = {str: "text", int: "integers", float: "numbers", bool: "flags", tuple: "lists"}


def from_environment() -> dict[str, object]:
    return env_given(**project_settings._APP_VARIABLES)


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
    assert from_environment()[variable] == expected


def test_an_empty_number_in_the_environment_keeps_the_default(monkeypatch):
    monkeypatch.setenv("SEND_LEASE", "")
    monkeypatch.delenv("SIGNUP_IP_LIMITS", raising=False)
    values = from_environment()
    assert "SEND_LEASE" not in values and "SIGNUP_IP_LIMITS" not in values


def test_every_app_setting_but_site_url_is_read_from_the_environment_as_its_defaults_kind():
    # SITE_URL is the project's own setting too, always set (from PORT when not given).
    read_as = {
        name: kind for kind, names in project_settings._APP_VARIABLES.items() for name in names
    }
    expected = {
        f.name: KIND_OF[type(getattr(Defaults, f.name))]
        for f in fields(Defaults)
        if f.name != "SITE_URL"
    }
    assert read_as == expected


def test_an_app_setting_the_environment_leaves_out_is_the_apps_default(tmp_path):
    assert app_setting_value("SEND_BATCH", VAR_DIR=str(tmp_path)) == "64"
    assert app_setting_value("SEND_BATCH", VAR_DIR=str(tmp_path), SEND_BATCH="8") == "8"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SEND_BATCH", "abc", "SEND_BATCH must be an integer, got 'abc'"),
        ("SIGNUP_WAKE_WITHIN", "x", "SIGNUP_WAKE_WITHIN must be a number, got 'x'"),
        ("ALLOW_SMTPUTF8", "maybe", "ALLOW_SMTPUTF8 must be 1 or 0"),
        ("DEBUG", "ture", "DEBUG must be 1 or 0"),
        ("PORT", "80a", "PORT must be an integer, got '80a'"),
    ],
)
def test_an_unreadable_value_stops_the_start_naming_its_variable(
    tmp_path, variable, value, message
):
    env = {"DEBUG": "1", "VAR_DIR": str(tmp_path), variable: value}
    result = run_clean(["manage.py", "check"], **env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: " + message)
