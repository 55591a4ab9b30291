"""Every email we send: anymail's AnymailMessage, dated in UTC as RFC 5322 writes it.

Where Django composes the message itself (the dev mailbox, SMTP, Amazon SES's raw mail), it
dates it with formatdate(localtime=False): "Mon, 07 Dec 2026 16:09:07 -0000", which RFC 5322
(section 3.3) reserves for a time whose zone is unknown. "+0000" says UTC. The other anymail
backends send no Date: the provider dates the message when it sends it.
"""

from datetime import UTC, datetime
from email.mime.base import MIMEBase
from email.utils import format_datetime

from anymail.message import AnymailMessage


class Mail(AnymailMessage):
    def message(self) -> MIMEBase:
        message = super().message()
        if not any(name.lower() == "date" for name in self.extra_headers):
            message.replace_header("Date", format_datetime(datetime.now(UTC)))
        return message


class BatchMail(Mail):
    """One provider call for many readers, each getting a message of their own (anymail's
    batch send: merge_data, merge_headers, merge_metadata). `rows` names the outbox row of
    each recipient, so the sender records each one from the provider's per-recipient answer."""

    rows: dict[int, str]  # outbox row id -> that row's recipient address
