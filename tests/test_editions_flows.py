"""An edition's status moves only as the table allows, and each move is in its history with
who made it (issue 24)."""

import pytest
from django.contrib.auth.models import User

from editions import services
from editions.models import TRANSITIONS, EditionEvent, EditionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(newsletters):
    author = User.objects.create_user("kate", "kate@example.com", "pw")
    return services.create_draft(
        newsletter=newsletters["explaining-ukraine"],
        subject="Metro shelters",
        preheader="",
        body="Text.",
        author=author,
    )


def history(edition) -> list[tuple[str, str, str]]:
    return [
        (e.from_status, e.to_status, e.actor) for e in EditionEvent.objects.filter(edition=edition)
    ]


def test_a_new_draft_starts_its_history_with_its_author(draft):
    assert draft.status == EditionStatus.DRAFT
    assert history(draft) == [("", "draft", "editor:kate")]


def test_allowed_moves_are_recorded_with_their_actor_and_sent_sets_sent_at(draft):
    services.move(edition=draft, to=EditionStatus.SENDING, actor="editor:kate")
    services.move(edition=draft, to=EditionStatus.PAUSED, actor="system")
    services.move(edition=draft, to=EditionStatus.SENDING, actor="editor:olena")
    sent = services.move(edition=draft, to=EditionStatus.SENT, actor="system")
    assert sent.status == EditionStatus.SENT and sent.sent_at is not None
    assert history(draft)[1:] == [
        ("draft", "sending", "editor:kate"),
        ("sending", "paused", "system"),
        ("paused", "sending", "editor:olena"),
        ("sending", "sent", "system"),
    ]


@pytest.mark.parametrize("start", [EditionStatus.SENT, EditionStatus.CANCELLED])
def test_a_sent_or_cancelled_edition_goes_nowhere(draft, start):
    draft.status = start
    draft.save()
    for to in EditionStatus:
        with pytest.raises(services.MoveRefused):
            services.move(edition=draft, to=to, actor="system")
    assert len(history(draft)) == 1


def test_a_refused_move_says_why_and_changes_nothing(draft):
    with pytest.raises(services.MoveRefused, match="can't go from draft to sent"):
        services.move(edition=draft, to=EditionStatus.SENT, actor="editor:kate")
    draft.refresh_from_db()
    assert draft.status == EditionStatus.DRAFT and draft.sent_at is None
    assert len(history(draft)) == 1


def test_every_status_has_its_moves_declared():
    assert set(TRANSITIONS) == set(EditionStatus)


def test_only_a_draft_can_be_edited(draft):
    services.move(edition=draft, to=EditionStatus.SCHEDULED, actor="system")
    with pytest.raises(services.NotADraft):
        services.update_draft(
            edition=draft, newsletter=draft.newsletter, subject="New", preheader="", body="x"
        )
    draft.refresh_from_db()
    assert draft.subject == "Metro shelters"
