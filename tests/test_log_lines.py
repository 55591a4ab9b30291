"""One log record, one line: no value logged (a request path, an operator's name) can write a
line of its own that reads as another record (issue 20, item 9)."""

import io
import logging

import pytest
from django.core.management import call_command

from .support.logs import console_log

FAKE = "2026-12-01 12:00:00,000 INFO subscriptions event=subscriber.erased subscriber=7"


def test_a_value_with_a_line_break_stays_on_its_records_line():
    with console_log("subscriptions") as log:
        logging.getLogger("subscriptions").info("event=test.value by=%s", f"ops\n{FAKE}")
    lines = log.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith(f'by="ops\\n{FAKE}"')  # logfmt: quoted, the break escaped


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("plain-value", "plain-value"),
        ("two words", '"two words"'),
        ('a "quote" and a \\', '"a \\"quote\\" and a \\\\"'),
        ("cr\rlf\r\nsep\u2028", '"cr\\rlf\\r\\nsep\\u2028"'),
        ("", '""'),
        (42, "42"),
    ],
)
def test_values_are_quoted_as_logfmt_quotes_them(value, shown):
    with console_log("newsroom") as log:
        logging.getLogger("newsroom").info("event=test.value v=%s", value)
    assert log.getvalue().rstrip("\n").endswith(f" v={shown}")


def test_a_line_break_in_the_message_itself_is_escaped_too():
    with console_log("subscriptions") as log:
        logging.getLogger("subscriptions").info(f"event=test.fstring by=ops\n{FAKE}")
    assert len(log.getvalue().splitlines()) == 1


def test_a_traceback_is_kept_on_its_records_line():
    with console_log("subscriptions") as log:
        try:
            raise ValueError(f"bad input\n{FAKE}")
        except ValueError:
            logging.getLogger("subscriptions").exception("event=test.failed")
    (line,) = log.getvalue().splitlines()
    assert "event=test.failed traceback=" in line and "ValueError: bad input\\n" in line


@pytest.mark.django_db
def test_a_request_path_with_an_encoded_line_break_logs_one_line(client, settings):
    settings.READER_MAX_BODY = 10  # the refusal logs the request's path
    with console_log("newsroom") as log:
        answer = client.post(
            f"/unsubscribe/x%0A{FAKE.replace(' ', '%20')}/",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    assert answer.status_code == 413
    (line,) = log.getvalue().splitlines()
    assert "event=request.refused" in line and "\\n2026-12-01" in line


@pytest.mark.django_db
def test_unblock_ip_by_a_name_with_a_line_break_logs_one_line():
    with console_log("subscriptions") as log:
        call_command("unblock_ip", "203.0.113.9", by=f"ops\n{FAKE}", stdout=io.StringIO())
    (line,) = log.getvalue().splitlines()
    assert "event=ip.unblocked" in line and "\\n2026-12-01" in line
