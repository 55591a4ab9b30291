"""The dev mailbox: an email backend for `make run` that needs no provider.

Each message is written to var/mail/ as an .eml file and printed to the worker's log, and
/dev/mailbox/ (DEBUG only) lists them with clickable links.
"""

import logging
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


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.DEV_MAIL_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
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


def _summary(path: Path) -> dict:
    parsed: ParsedMessage = message_from_bytes(path.read_bytes(), policy=policy.default)
    text = parsed.get_body(preferencelist=("plain",))
    return {
        "name": path.name,
        "to": parsed["To"],
        "subject": parsed["Subject"],
        "date": parsed["Date"],
        "text": text.get_content() if text else "",
    }
