"""The app's models: lists and their readers (subscribers.py), sign-ups waiting for a worker
(intake.py) and the email outbox (outbox.py)."""

from .intake import RecordedSignUp
from .outbox import ConfirmationEmail, OutboxItem, OutboxQuerySet, OutboxState
from .subscribers import (
    Consent,
    Event,
    Newsletter,
    Status,
    Subscriber,
    Subscription,
)
from .tally import Tally

__all__ = [
    "ConfirmationEmail",
    "Consent",
    "Event",
    "Newsletter",
    "OutboxItem",
    "OutboxQuerySet",
    "OutboxState",
    "RecordedSignUp",
    "Status",
    "Subscriber",
    "Subscription",
    "Tally",
]
