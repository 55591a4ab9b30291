"""Drafts and the status of an edition: a draft's words change through update_draft; its
status only through move, which checks the move against models.TRANSITIONS and appends the
EditionEvent naming who made it."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from subscriptions.api import SYSTEM_ACTOR, editor_actor
from subscriptions.models import Newsletter

from ..models import TRANSITIONS, Edition, EditionEvent, EditionStatus


class MoveRefused(ValueError):
    """A status move TRANSITIONS doesn't allow; nothing was changed."""


class NotADraft(ValueError):
    """Only a draft's words can change; nothing was changed."""


def author_actor(author: User | None) -> str:
    return editor_actor(author.get_username()) if author else SYSTEM_ACTOR


@transaction.atomic
def create_draft(
    *,
    newsletter: Newsletter,
    subject: str,
    preheader: str,
    body: str,
    author: User | None,
) -> Edition:
    """A new draft of a list, its history starting with its author's creation of it."""
    edition = Edition.objects.create(
        newsletter=newsletter,
        subject=subject,
        preheader=preheader,
        body=body,
        author=author,
        status=EditionStatus.DRAFT,
    )
    EditionEvent.objects.create(
        edition=edition,
        from_status="",
        to_status=EditionStatus.DRAFT,
        at=edition.created_at,
        actor=author_actor(author),
    )
    return edition


@transaction.atomic
def update_draft(
    *, edition: Edition, newsletter: Newsletter, subject: str, preheader: str, body: str
) -> Edition:
    """A draft's list and words; refuses (NotADraft) an edition that has left draft."""
    locked = Edition.objects.select_for_update().get(pk=edition.pk)
    if locked.status != EditionStatus.DRAFT:
        raise NotADraft(
            _("Only a draft can be edited; this edition is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    locked.newsletter, locked.subject = newsletter, subject
    locked.preheader, locked.body = preheader, body
    locked.save(update_fields=["newsletter", "subject", "preheader", "body", "changed_at"])
    return locked


@transaction.atomic
def move(*, edition: Edition, to: EditionStatus, actor: str) -> Edition:
    """Move an edition to `to`, if TRANSITIONS allows it from where it is now (read under
    the row's lock, so two moves at once can't both start from the same status)."""
    locked = Edition.objects.select_for_update().get(pk=edition.pk)
    before = EditionStatus(locked.status)
    if to not in TRANSITIONS[before]:
        raise MoveRefused(
            _("An edition can't go from %(from)s to %(to)s.")
            % {"from": before.label, "to": EditionStatus(to).label}
        )
    now = timezone.now()
    locked.status = to
    fields = ["status", "changed_at"]
    if to == EditionStatus.SENT:
        locked.sent_at = now
        fields.append("sent_at")
    locked.save(update_fields=fields)
    EditionEvent.objects.create(
        edition=locked, from_status=before, to_status=to, at=now, actor=actor
    )
    return locked


# An editor's test goes to their own inbox only, a few a minute: enough to check a fix, too
