"""Add the demo draft edition of "Explaining Ukraine", and three demo readers confirmed on that
list to send it to, for a dev checkout (`make run` runs it after load_demo, which creates the
list). Its own command, so subscriptions' load_demo never imports editions. Run again, it adds
nothing: the draft is found by its list and subject, and a reader confirmed already is left.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from subscriptions.api import SYSTEM_ACTOR, DemoCommand
from subscriptions.api import services as subscription_services
from subscriptions.models import Newsletter

from ... import services
from ...models import Edition

DEMO_LIST = "explaining-ukraine"
DEMO_SUBJECT = "Why Kyiv's metro stations are also shelters"
DEMO_PREHEADER = "Built deep in the 1960s, they hold thousands of people on a night of alerts."
DEMO_BODY = """\
## A hundred metres down

Arsenalna, on Kyiv's red line, is one of the deepest metro stations in the world. On a night \
of air-raid alerts its platforms fill with families, their dogs and their homework.

![A metro platform in Kyiv with people sitting on blankets]\
(https://example.org/images/arsenalna-platform.jpg)

> "We come down with the children and a thermos. By now it is almost routine."

This week's letter follows one family through a night underground, and asks what the city \
has built for those who live far from a station.

Read the whole story [on our site](https://example.org/explaining-ukraine/metro-shelters).

[Support our reporting](https://example.org/donate){.button}
"""
# Readers of the demo list, in both languages, so "Send now" has someone to reach; their
# copies land in the dev mailbox, like every email of `make run`.
DEMO_READERS = (
    ("olena.demo@example.com", "uk"),
    ("taras.demo@example.com", "uk"),
    ("sam.demo@example.com", "en"),
)


class Command(DemoCommand):
    help = "Add the demo draft edition of Explaining Ukraine, unless it is there already."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "load_demo_editions is for a dev checkout, and DEBUG is off: this may be a "
                "real database. Run it with --force if it is not."
            )
        newsletter = Newsletter.objects.filter(slug=DEMO_LIST).first()
        if newsletter is None:
            raise CommandError(f"No list {DEMO_LIST!r}: run load_demo first.")
        self._add_readers(newsletter)
        if Edition.objects.filter(newsletter=newsletter, subject=DEMO_SUBJECT).exists():
            self.stdout.write(f"left as it is: {DEMO_SUBJECT}")
            return
        services.create_draft(
            newsletter=newsletter,
            subject=DEMO_SUBJECT,
            preheader=DEMO_PREHEADER,
            body=DEMO_BODY,
            author=None,
        )
        self.stdout.write(f"created the draft {DEMO_SUBJECT}")

    def _add_readers(self, newsletter: Newsletter) -> None:
        for email, language in DEMO_READERS:
            added = subscription_services.add_by_editor(
                email=email,
                newsletter_ids=[newsletter.pk],
                language=language,
                consent_note="Demo reader of a dev checkout (load_demo_editions).",
                actor=SYSTEM_ACTOR,
            )
            state = "confirmed" if added.confirmed else "already there"
            self.stdout.write(f"demo reader {email}: {state}")
