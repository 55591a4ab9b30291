"""The flows: the only writers of editions. Typed, keyword-only, one transaction each; they
queue work by task name, after commit. Entry points (the admin, the tasks, the demo command)
call them through this package."""

from .drafts import MoveRefused, NotADraft, author_actor, create_draft, move, update_draft
from .proofs import (
    SEND_TEST_TASK,
    TEST_LIMIT,
    TestNotSentYet,
    TestRefused,
    request_test,
    send_test,
    unsent_tests,
)
from .sends import (
    FIX_RECIPIENTS_TASK,
    SendRefused,
    finish_if_sent,
    fix_recipients,
    sending_editions,
    start_send,
)

__all__ = [
    "FIX_RECIPIENTS_TASK",
    "SEND_TEST_TASK",
    "TEST_LIMIT",
    "MoveRefused",
    "NotADraft",
    "SendRefused",
    "TestNotSentYet",
    "TestRefused",
    "author_actor",
    "create_draft",
    "finish_if_sent",
    "fix_recipients",
    "move",
    "request_test",
    "send_test",
    "sending_editions",
    "start_send",
    "unsent_tests",
    "update_draft",
]
