"""One log record, one line: every value logged is quoted as logfmt quotes it.

Our log lines are logfmt (`event=ip.unblocked ip=… by=…`), read line by line. A value with a
line break in it (a request path with %0A, `unblock_ip --by $'ops\\n…'`) wrote a line of its
own that read as another record: a forged `event=subscriber.erased`. One formatter, set on the
console handler in settings.LOGGING, covers every logger and call, where quoting at each call
would miss the next one:

- each argument of a record that isn't a number is quoted when it holds a space, `"`, `=`, a
  backslash or a control character, with `"`, `\\`, CR, LF, tab and every other control or
  line-separator character escaped;
- the message itself, which may hold a value put there before logging, has its line breaks
  escaped;
- a traceback follows on the same line as `traceback="…"`, quoted the same way, since an
  exception's message may hold a value too. `sed 's/\\\\n/\\n/g'` unfolds one to read.

Every line starts alike in every process (gunicorn, the Celery worker and beat, the app): the
time in UTC as ISO 8601 to the millisecond, the level, the logger's name (LINE_FORMAT).
"""

import logging
import numbers
import re
import time
from collections.abc import Mapping
from typing import Any

# One start for every line of every process; gunicorn's (newsroom/gunicorn_logging.py) too.
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# Characters str.splitlines breaks a line at: each is a line to some reader of the log.
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_ESCAPES = {
    ord("\\"): "\\\\",
    ord('"'): '\\"',
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}
_ESCAPES |= {
    code: f"\\u{code:04x}"
    for code in [*range(0x20), 0x7F, *map(ord, _LINE_BREAKS)]
    if code not in _ESCAPES
}
_BREAK_ESCAPES = {ord(char): _ESCAPES[ord(char)] for char in _LINE_BREAKS}
# A value logfmt writes bare: no space, quote, equals sign, backslash or control character.
_BARE = re.compile(r'[^\s"=\\\x00-\x1f\x7f]+')


def logfmt_value(value: Any) -> Any:
    """`value` as logfmt writes it: bare when it can be, else quoted and escaped. Numbers are
    left to the message's own format (`%d`, `%.2f`)."""
    if isinstance(value, numbers.Number):
        return value
    text = str(value)
    if _BARE.fullmatch(text):
        return text
    return '"' + text.translate(_ESCAPES) + '"'


class UTCFormatter(logging.Formatter):
    """Stamps each line `2026-12-07T16:09:07.123Z`: UTC, ISO 8601, to the millisecond.

    logging's default is the process's local time, and Django sets that to TIME_ZONE (the
    admin's zone) in every process that loads the settings: web and worker lines read hours
    apart from gunicorn's master and the provider's logs, and an hour shifts twice a year."""

    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def converter(self, seconds: float | None) -> time.struct_time:
        return time.gmtime(seconds)


class LogfmtFormatter(UTCFormatter):
    """logging.Formatter, with the record's values quoted and all of it on one line."""

    def format(self, record: logging.LogRecord) -> str:
        # A copy: other handlers (and pytest's) see the record as it was logged.
        line = logging.makeLogRecord(record.__dict__)
        line.args = _quoted(record.args)
        line.exc_info, line.exc_text, line.stack_info = None, None, None
        text = super().format(line)
        details = record.exc_text or (
            self.formatException(record.exc_info) if record.exc_info else ""
        )
        if record.stack_info:
            details = "\n".join(filter(None, [details, self.formatStack(record.stack_info)]))
        return f"{text} traceback={logfmt_value(details)}" if details else text

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = record.message.translate(_BREAK_ESCAPES)
        return super().formatMessage(record)


def _quoted(args: Any) -> Any:
    if isinstance(args, Mapping):
        return {key: logfmt_value(value) for key, value in args.items()}
    if isinstance(args, tuple):
        return tuple(logfmt_value(value) for value in args)
    return args
