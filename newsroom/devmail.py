"""The dev mailbox: an email backend for `make run` that needs no provider.

Each message is written to var/mail/ as an .eml file and printed to the worker's log, and
/dev/mailbox/ (DEBUG only) lists them: headers, the text part with clickable links, and the HTML
part framed at a desktop's and a phone's width from /dev/mailbox/<name>/html/.
"""

import logging
import re
import uuid
from collections.abc import Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage as ParsedMessage
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

logger = logging.getLogger("newsroom.devmail")

# The names send_messages gives (a timestamp and a random suffix): the only names a URL may ask
# for, so no "..", no "/", and nothing else that lies in or beside the folder can be read.
MESSAGE_NAME = re.compile(r"\d{8}T\d{12}-[0-9a-f]{8}\.eml")
# The headers a developer checks before sending for real, in this order.
SHOWN_HEADERS = (
    "From",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.DEV_MAIL_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"  # MESSAGE_NAME
            temporary = folder / f".{name}.tmp"
            temporary.write_bytes(message.message().as_bytes())
            temporary.rename(folder / name)  # atomic: the mailbox never lists half a message
            logger.info(
                "dev mailbox: %s\nTo: %s\nSubject: %s\n\n%s",
                name,
                ", ".join(message.to),
                message.subject,
                message.body,
            )
        return len(email_messages)


def read_mailbox(limit: int = 50) -> list[dict[str, str]]:
    folder = Path(settings.DEV_MAIL_DIR)
    if not folder.exists():
        return []
    files = sorted(folder.glob("*.eml"), reverse=True)[:limit]
    return [_summary(path) for path in files]


def read_html(name: str) -> str | None:
    """The HTML part of the message called `name`; None if the mailbox wrote no such message or
    it has no HTML part."""
    if not MESSAGE_NAME.fullmatch(name):
        return None
    path = Path(settings.DEV_MAIL_DIR) / name
    if not path.is_file():
        return None
    html = _parse(path).get_body(preferencelist=("html",))
    return html.get_content() if html else None


def _parse(path: Path) -> ParsedMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def _summary(path: Path) -> dict:
    parsed = _parse(path)
    text = parsed.get_body(preferencelist=("plain",))
    return {
        "name": path.name,
        "to": parsed["To"],
        "subject": parsed["Subject"],
        "headers": [(name, parsed[name]) for name in SHOWN_HEADERS if parsed[name] is not None],
        "text": text.get_content() if text else "",
        "has_html": parsed.get_body(preferencelist=("html",)) is not None,
    }
