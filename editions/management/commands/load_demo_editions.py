"""Add the demo draft edition of "Explaining Ukraine", for a dev checkout (`make run` runs it
after load_demo, which creates the list). Its own command, so subscriptions' load_demo never
imports editions. Run again, it adds nothing: the draft is found by its list and subject.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from subscriptions.api import DemoCommand
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
