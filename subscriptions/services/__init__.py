"""The flows: the only public writers. Entry points (views, admin actions, Celery tasks,
management commands) call these; nothing here imports an entry point.

Each flow is typed, keyword-only and one transaction. Status changes go through lifecycle.py,
which records the actor; work for a worker is queued by task name after commit through
dispatch.py, so a task never sees a row its transaction has not committed.
"""

from .data_export import request_data_export
from .intake import PROCESS_TASK, process_recorded_sign_ups, record_sign_up
from .manual import AddedByHand, AddRefused, add_by_editor
from .membership import (
    ConfirmResult,
    Resubscribed,
    confirm,
    erase_subscriber,
    resubscribe,
    unsubscribe,
)
from .preferences import PreferencesSaved, unsubscribe_all, update_preferences
from .provider_events import lift_suppressions
from .provider_intake import (
    ProviderEventInput,
    apply_recorded_provider_events,
    record_provider_event,
)
from .retention import RetentionResult, apply_retention
from .sending import (
    SEND_DUE_OF_TASK,
    SEND_DUE_TASK,
    claim,
    claim_due,
    queue,
    queued_in_bulk,
    record_failed,
    record_refused,
    record_retry,
    record_sent,
    record_sent_many,
    record_skipped,
    record_suppressed,
    recount_tallies,
    requeue_failed_confirmations,
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
    "PROCESS_TASK",
    "SEND_DUE_OF_TASK",
    "SEND_DUE_TASK",
    "AddRefused",
    "AddedByHand",
    "ConfirmResult",
    "ConsentInput",
    "PreferencesSaved",
    "ProviderEventInput",
    "Resubscribed",
    "RetentionResult",
    "SignUpEntry",
    "SignUpResult",
    "add_by_editor",
    "apply_recorded_provider_events",
    "apply_retention",
    "claim",
    "claim_due",
    "confirm",
    "erase_subscriber",
    "lift_suppressions",
    "process_recorded_sign_ups",
    "queue",
    "queued_in_bulk",
    "record_failed",
    "record_provider_event",
    "record_refused",
    "record_retry",
    "record_sent",
    "record_sent_many",
    "record_sign_up",
    "record_skipped",
    "record_suppressed",
    "recount_tallies",
    "request_data_export",
    "requeue_failed_confirmations",
    "resend_confirmation",
    "resubscribe",
    "sign_up",
    "sign_up_many",
    "unsubscribe",
    "unsubscribe_all",
    "update_preferences",
]
