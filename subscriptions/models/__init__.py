"""The app's models: lists and their readers (subscribers.py), sign-ups waiting for a worker
(intake.py), the email outbox (outbox.py), the running counts (tally.py), rate-limit
counters without Redis (counters.py) and what erasure keeps (privacy.py)."""

from .counters import RateCounter
from .intake import RecordedSignUp
from .outbox import (
    ConfirmationEmail,
    DataExportEmail,
    OutboxItem,
    OutboxQuerySet,
    OutboxState,
    WelcomeEmail,
    emails_per_inbox,
)
from .privacy import ErasedInbox, inbox_hash, inbox_hashes
from .provider import ProviderEvent, Suppression
from .subscribers import (
    RECEIVING,
    Consent,
    Event,
    Inbox,
    Newsletter,
    Status,
    Subscriber,
    Subscription,
)
from .tally import Tally

__all__ = [
    "RECEIVING",
    "ConfirmationEmail",
    "Consent",
    "DataExportEmail",
    "ErasedInbox",
    "Event",
    "Inbox",
    "Newsletter",
    "OutboxItem",
    "OutboxQuerySet",
    "OutboxState",
    "ProviderEvent",
    "RateCounter",
    "RecordedSignUp",
    "Status",
    "Subscriber",
    "Subscription",
    "Suppression",
    "Tally",
    "WelcomeEmail",
    "emails_per_inbox",
    "inbox_hash",
    "inbox_hashes",
]
