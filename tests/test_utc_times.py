"""One clock in every record: each process's log lines, and each email's Date, are in UTC, in one
format (issue 21, "Small things"). The processes are started as `make run` and the systemd
units start them; Django sets their local zone to TIME_ZONE (Europe/Kyiv), so a line stamped
in local time is hours away from the UTC now."""

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from functools import partial

import pytest
import requests

from subscriptions import services
from subscriptions.tasks import send_due

from .support.helpers import latest_confirmation, sign_up
from .support.wait import wait_until

# ISO 8601, UTC, to the millisecond, then the level and the logger's name.
STAMPED = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+) ",
    re.MULTILINE,
)
# What the processes wrote before, in local time: lines started "2026-12-07 18:09:07,123"
# (logging's default), "[2026-12-07 18:09:07,123: INFO/MainProcess]" (Celery's) or "[2026-12-07
# 18:09:07 +0200]" (gunicorn's), and the access log's "[07/Dec/2026:18:09:07 +0200]".
OTHER_STAMPS = re.compile(
    r"^\[?\d{4}-\d\d-\d\d |\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]", re.MULTILINE
)


def stamped_lines(log: str) -> dict[str, list[datetime]]:
    """The logger names of the stamped lines in `log`, each with its lines' times."""
    names: dict[str, list[datetime]] = {}
    for when, _level, name in STAMPED.findall(log):
        names.setdefault(name, []).append(datetime.fromisoformat(when).replace(tzinfo=UTC))
    return names


def assert_utc_now(times: list[datetime]) -> None:
    now = datetime.now(UTC)
    assert all(abs(now - when) < timedelta(minutes=5) for when in times), (times, now)


@pytest.mark.worker
def test_gunicorn_the_worker_beat_and_the_app_stamp_each_line_in_utc(transactional_db, make_stack):
    stack = make_stack(READER_MAX_BODY="10")  # a refused body makes the app log a line
    stack.start_worker()
    stack.start_beat()
    url = stack.start_web(1, "--access-logfile", "-")  # as deploy/supervisord.conf does
    requests.post(f"{url}/subscribe/", data={"email": "x" * 100}, timeout=10)

    def seen(name: str, *loggers: str) -> dict[str, list[datetime]]:
        lines = stamped_lines(stack.log(name))
        return lines if all(any(n.startswith(p) for n in lines) for p in loggers) else {}

    expected = {
        "web": ("gunicorn.error", "gunicorn.access", "newsroom"),
        "worker": ("celery.",),
        "beat": ("celery.beat",),
    }
    for name, loggers in expected.items():
        lines = wait_until(partial(seen, name, *loggers), timeout=30, what=f"{name}'s lines")
        assert_utc_now([when for times in lines.values() for when in times])
        assert not OTHER_STAMPS.search(stack.log(name)), stack.log(name)


def test_every_email_is_dated_in_utc_in_the_dev_mailbox(client, newsletters, settings, tmp_path):
    # The dev mailbox writes each email as Django composes it, Date header and all, as the SMTP
    # backend would send it. Django's own Date is "-0000": a time whose zone is unknown.
    settings.EMAIL_BACKEND = "newsroom.devmail.EmailBackend"
    settings.DEV_MAIL_DIR = str(tmp_path)
    sign_up(client, "reader@example.com", "daily")
    send_due.apply()  # the confirmation
    services.confirm(email_id=latest_confirmation().pk)
    send_due.apply()  # the welcome email, list mail
    dates = [
        message_from_bytes(path.read_bytes(), policy=policy.default)["Date"]
        for path in sorted(tmp_path.glob("*.eml"))
    ]
    assert len(dates) == 2
    assert all(date.endswith(" +0000") for date in dates), dates
    assert_utc_now([parsedate_to_datetime(date) for date in dates])
