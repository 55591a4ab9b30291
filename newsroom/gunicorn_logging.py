"""gunicorn's own log lines (its error log, the access log), started as every process's lines
are: the time in UTC as ISO 8601, the level, the logger's name (newsroom/logs.py).

gunicorn stamps its error log in the process's local time, and the access log's `%(t)s` too;
in a worker that is TIME_ZONE, which Django sets on loading. gunicorn.conf.py names this class
and leaves `%(t)s` out of the access log's format, since each line's stamp says when.

A subclass rather than gunicorn's logconfig_dict: with one, gunicorn logs every request even
where no --access-logfile asks for it, and ignores the --access-logfile and --error-logfile
options the command lines give.
"""

import logging

from gunicorn import glogging
from gunicorn.config import Config

from .logs import LINE_FORMAT, LogfmtFormatter, UTCFormatter


class Logger(glogging.Logger):
    def setup(self, cfg: Config) -> None:
        super().setup(cfg)
        # The access log's one argument is gunicorn's own mapping of the request's atoms, which
        # it has escaped already (and reads a missing one as "-"): logfmt would quote it again.
        formatters = {
            self.error_log: LogfmtFormatter(LINE_FORMAT),
            self.access_log: UTCFormatter(LINE_FORMAT),
        }
        for log, formatter in formatters.items():
            for handler in log.handlers:
                # Stream and file handlers; syslog stamps the lines itself.
                if isinstance(handler, logging.StreamHandler):
                    handler.setFormatter(formatter)
