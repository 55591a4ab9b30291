"""The log as an operator reads it: what the console handlers settings.LOGGING configures
write, through their own formatters (pytest's caplog formats records its own way)."""

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def console_log(*names: str) -> Iterator[io.StringIO]:
    """Everything the console handlers reachable from these loggers write meanwhile."""
    log = io.StringIO()
    swapped = []
    for name in names:
        logger: logging.Logger | None = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                # Exactly StreamHandler: pytest's capture handlers subclass it.
                if type(handler) is logging.StreamHandler and handler.stream is not log:
                    swapped.append((handler, handler.setStream(log)))
            logger = logger.parent if logger.propagate else None
    try:
        yield log
    finally:
        for handler, stream in reversed(swapped):
            handler.setStream(stream)
