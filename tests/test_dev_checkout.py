"""A dev checkout after `make run`: manage.py commands work without DEBUG=1, and only manage.py.

Each test builds a checkout in a tmp dir (copies of manage.py and newsroom/, the dev env file
written by the Makefile's own recipe) so the real checkout's var/ is never touched, and runs
commands there with PYTHONPATH at the repository for everything else.
"""

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
    subprocess.run(
        ["make", "-s", "dev-env", f"DEV_ENV={root / 'var' / 'dev.env'}", "PORT=8123"],
        cwd=ROOT,
        env={**clean_env(), "VAR_DIR": str(tmp_path / "recorded-var")},
        check=True,
    )
    return root


def run(checkout: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """A command in the checkout, with the repository on the path for everything else."""
    return run_clean(list(args), checkout, PYTHONPATH=str(ROOT), **env)


def manage(checkout: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return run(checkout, "manage.py", *args, **env)


def test_the_file_make_run_writes_records_debug_var_dir_and_port(checkout, tmp_path):
    lines = (checkout / "var" / "dev.env").read_text().splitlines()
    assert lines[0].startswith("#")
    assert lines[1:] == ["DEBUG=1", f"VAR_DIR={tmp_path / 'recorded-var'}", "PORT=8123"]


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
    result = manage(checkout, "check")
    assert result.returncode != 0
    assert f"{dev_env}:5: expected KEY=VALUE" in result.stderr
