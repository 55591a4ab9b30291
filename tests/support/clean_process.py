"""Settings and commands in a fresh Python process, with only the environment a test gives it.

The settings module reads the environment once, at import; a fresh process is how a test sees
what an operator's environment makes of it.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from .helpers import PARTNER
from .stack import ROOT


def clean_env(**env: str) -> dict[str, str]:
    """Only what a developer's shell has (PATH, HOME, LANG), and the given variables."""
    kept = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return {**kept, **env}


def run_clean(args: list[str], cwd: Path = ROOT, /, **env: str) -> subprocess.CompletedProcess:
    """Run a Python command in a fresh process with only a clean environment and the given one."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=clean_env(**env),
        timeout=120,
    )


def settings_value(expr: str, **env: str) -> str:
    """Evaluate an expression on the settings module (`s`) in a fresh process: what it prints,
    or the last line of the error that stopped it."""
    code = f"import newsroom.settings as s\nvalue = ({expr})\nprint(value)"
    result = run_clean(["-c", code], **env)
    return result.stdout.strip() or result.stderr.strip().splitlines()[-1]


def app_setting_value(name: str, **env: str) -> str:
    """What the app reads as its setting `name` (subscriptions/app_settings.py) in a fresh
    process, with DEBUG=1 and the given environment read by newsroom/settings.py."""
    code = (
        "import django; django.setup()\n"
        "from subscriptions.app_settings import app_settings\n"
        f"print(repr(app_settings.{name}))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "newsroom.settings", "DEBUG": "1", **env}
    result = run_clean(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production deployment, as its operator sets it."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "news.example",
        "SITE_URL": "https://news.example",
        "PARTNER_ORIGINS": PARTNER,
        "DATABASE_URL": "postgres://news@db.internal:5432/news",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "ANYMAIL_WEBHOOK_SECRET": "anymail:" + secrets.token_urlsafe(24),
        "ERASURE_HASH_KEY": secrets.token_urlsafe(32),
        "POSTAL_ADDRESS": "The Newsroom, 1 Example Street, Kyiv 01001, Ukraine",
        # Preloading is an operator's decision for the whole domain (hard to undo), so it is
        # opt-in, and check --deploy rightly warns (security.W021) until it is made.
        "SECURE_HSTS_PRELOAD": "1",
        # gunicorn on loopback behind the TLS proxy, which overwrites X-Forwarded-For.
        "BEHIND_TLS_PROXY": "1",
        "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
        **extra,
    }
