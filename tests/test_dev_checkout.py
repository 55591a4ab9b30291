"""A dev checkout after `make run`: manage.py commands work without DEBUG=1, and only manage.py.

Each test builds a checkout in a tmp dir (copies of manage.py and newsroom/, the dev env file
written by the Makefile's own recipe) so the real checkout's var/ is never touched, and runs
commands there with PYTHONPATH at the repository for everything else.
"""

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from .support.clean_process import clean_env, run_clean
from .support.stack import ROOT

PRINT_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.DATABASES['default']['NAME'], s.SITE_URL)"
)


def make(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """The Makefile's recipe, as `make run` in the checkout below runs it."""
    root = tmp_path / "checkout"
    return subprocess.run(
        ["make", "-s", *args, f"DEV_ENV={root / 'var' / 'dev.env'}", "PORT=8123"],
        cwd=ROOT,
        env={**clean_env(), "VAR_DIR": str(tmp_path / "recorded-var")},
        check=True,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A checkout where `make run` ran with VAR_DIR=<tmp>/recorded-var and PORT=8123."""
    root = tmp_path / "checkout"
    root.mkdir()
    (tmp_path / "recorded-var").mkdir()  # `make run` creates it
    shutil.copy(ROOT / "manage.py", root)
    # newsroom/ too, so that BASE_DIR (and the default var/) is the copy, and the WSGI test
    # below would catch an app that looks for the file next to its own code.
    shutil.copytree(ROOT / "newsroom", root / "newsroom", ignore=shutil.ignore_patterns("*.pyc"))
    make(tmp_path, "dev-env")
    return root


def webhook_secret(tmp_path: Path) -> str:
    return (tmp_path / "recorded-var" / "webhook-secret").read_text().strip()


def run(checkout: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """A command in the checkout, with the repository on the path for everything else."""
    return run_clean(list(args), checkout, PYTHONPATH=str(ROOT), **env)


def manage(checkout: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return run(checkout, "manage.py", *args, **env)


def test_the_file_make_run_writes_records_debug_var_dir_port_and_webhook_secret(
    checkout, tmp_path
):
    lines = (checkout / "var" / "dev.env").read_text().splitlines()
    assert lines[0].startswith("#")
    assert lines[1:] == [
        "DEBUG=1",
        f"VAR_DIR={tmp_path / 'recorded-var'}",
        "PORT=8123",
        f"ANYMAIL_WEBHOOK_SECRET={webhook_secret(tmp_path)}",
    ]


def test_make_run_generates_one_webhook_secret_and_keeps_it_across_runs(checkout, tmp_path):
    secret = webhook_secret(tmp_path)
    assert re.fullmatch(r"dev:[\w-]{32,}", secret)
    assert (tmp_path / "recorded-var" / "webhook-secret").stat().st_mode & 0o077 == 0
    make(tmp_path, "dev-env")
    assert webhook_secret(tmp_path) == secret


def test_make_run_passes_the_webhook_secret_to_its_processes_and_shows_it(checkout, tmp_path):
    secret = webhook_secret(tmp_path)
    recipe = make(tmp_path, "-n", "run").stdout
    supervisord = next(line for line in recipe.splitlines() if "supervisord" in line)
    assert f"ANYMAIL_WEBHOOK_SECRET={secret} " in supervisord
    assert f"http://{secret}@127.0.0.1:8123/anymail/" in recipe  # the banner


def test_under_debug_a_webhook_post_without_auth_is_refused(checkout):
    # A cross-site text/plain POST, as any page the developer opens could send to 127.0.0.1.
    post = (
        "from django.conf import settings; from django.test import Client; "
        "r = Client(HTTP_HOST='127.0.0.1').post('/anymail/postmark/tracking/', "
        "'{\"RecordType\": \"Bounce\"}', content_type='text/plain'); "
        "print(settings.DEBUG, r.status_code)"
    )
    shown = manage(checkout, "shell", "--no-imports", "-c", post)
    assert shown.stdout.split() == ["True", "400"], shown.stderr


def test_createsuperuser_works_without_debug_and_uses_make_runs_database(checkout, tmp_path):
    assert manage(checkout, "migrate", "--no-input", "-v", "0").returncode == 0
    created = manage(
        checkout,
        "createsuperuser",
        "--no-input",
        "--username",
        "editor",
        "--email",
        "editor@example.com",
        DJANGO_SUPERUSER_PASSWORD="a-long-dev-password",
    )
    assert created.returncode == 0, created.stderr
    database = tmp_path / "recorded-var" / "db.sqlite3"
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT username FROM auth_user").fetchall() == [("editor",)]
    assert not (checkout / "var" / "db.sqlite3").exists()
    shown = manage(checkout, "shell", "--no-imports", "-c", PRINT_SETTINGS)
    assert shown.stdout.split() == ["True", str(database), "http://127.0.0.1:8123"]


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"DEBUG": "0"}, "SECRET_KEY is required when DEBUG is off."),
        # A production command in a build directory that once ran `make run`: the dev file must
        # not switch DEBUG on, so production settings are still required in full.
        ({"SECRET_KEY": "x" * 50}, "EMAIL_BACKEND is required when DEBUG is off."),
    ],
)
def test_the_file_is_ignored_when_the_environment_sets_debug_or_secret_key(checkout, env, error):
    result = manage(checkout, "check", **env)
    assert result.returncode != 0
    assert error in result.stderr


def test_with_debug_set_in_the_environment_nothing_else_comes_from_the_file(checkout):
    shown = manage(checkout, "shell", "--no-imports", "-c", PRINT_SETTINGS, DEBUG="1")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [
        "True",
        str(checkout / "var" / "db.sqlite3"),  # the default VAR_DIR, not the recorded one
        "http://127.0.0.1:8000",
    ]


def test_a_variable_set_in_the_environment_wins_over_the_file(checkout, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    shown = manage(
        checkout,
        "shell",
        "--no-imports",
        "-c",
        PRINT_SETTINGS,
        VAR_DIR=str(elsewhere),
        PORT="9000",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [
        "True",  # still from the file
        str(elsewhere / "db.sqlite3"),
        "http://127.0.0.1:9000",
    ]


@pytest.mark.parametrize(
    "code",
    [
        "import newsroom.wsgi",  # what gunicorn loads
        "from newsroom.celery import app; app.conf.broker_url",  # celery -A newsroom
        "import django; django.setup()",
    ],
)
def test_only_manage_py_reads_the_file(checkout, code):
    result = run(checkout, "-c", code, DJANGO_SETTINGS_MODULE="newsroom.settings")
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off." in result.stderr


def test_a_malformed_line_is_reported_with_its_place(checkout):
    dev_env = checkout / "var" / "dev.env"
    dev_env.write_text(dev_env.read_text() + "export PORT 9000\n")
    line = len(dev_env.read_text().splitlines())
    result = manage(checkout, "check")
    assert result.returncode != 0
    assert f"{dev_env}:{line}: expected KEY=VALUE" in result.stderr


def test_the_file_cannot_set_any_other_variable_such_as_the_settings_module(checkout):
    # var/ is writable by the app; manage.py may run as root: the file must not choose code.
    (checkout / "var" / "evil.py").write_text("raise SystemExit('settings from var/ ran')\n")
    dev_env = checkout / "var" / "dev.env"
    dev_env.write_text(dev_env.read_text() + "DJANGO_SETTINGS_MODULE=var.evil\n")
    line = len(dev_env.read_text().splitlines())
    result = manage(checkout, "check")
    assert "settings from var/ ran" not in result.stdout + result.stderr
    assert result.returncode != 0
    assert f"{dev_env}:{line}: DJANGO_SETTINGS_MODULE is not read from this file" in result.stderr
