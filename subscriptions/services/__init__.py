"""The flows: the only public writers. Entry points (views, admin actions, Celery tasks,
management commands) call these; nothing here imports an entry point.

Each flow is typed, keyword-only and one transaction. Status changes go through lifecycle.py,
which records the actor; work for a worker is queued by task name after commit through
dispatch.py, so a task never sees a row its transaction has not committed.
"""

from .intake import process_recorded_sign_ups, record_sign_up
from .membership import ConfirmResult, confirm, erase_subscriber, unsubscribe
from .sending import (
    claim,
    record_failed,
    record_retry,
    record_sent,
    record_skipped,
    record_undeliverable,
    requeue_failed_confirmations,
    sweep_outbox,
)
from .signup import (
    ConsentInput,
    SignUpEntry,
    SignUpResult,
    resend_confirmation,
    sign_up,
    sign_up_many,
)

__all__ = [
    "ConfirmResult",
    "ConsentInput",
    "SignUpEntry",
    "SignUpResult",
    "claim",
    "confirm",
    "erase_subscriber",
    "process_recorded_sign_ups",
    "record_failed",
    "record_retry",
    "record_sent",
    "record_sign_up",
    "record_skipped",
    "record_undeliverable",
    "requeue_failed_confirmations",
    "resend_confirmation",
    "sign_up",
    "sign_up_many",
    "sweep_outbox",
    "unsubscribe",
]
