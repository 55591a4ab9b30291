"""Create the demo newsletters that are missing, for a dev checkout (`make run` runs it).

A list that exists is left as it is, name and texts: run against a real database, this once
overwrote a real list's name. And it refuses to run with DEBUG off unless forced (the benchmark
forces it, on its own scratch database).
"""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from subscriptions.management.demo import DemoCommand
from subscriptions.models import Newsletter

DEMO_LISTS = [
    {
        "slug": "daily",
        "name": "The Daily Brief",
        "host": "",
        "description": "The day's most important stories from Ukraine, every weekday morning.",
        "sort_order": 10,
    },
    {
        "slug": "explaining-ukraine",
        "name": "Explaining Ukraine with Kate Tsurkan",
        "host": "Kate Tsurkan",
        "description": "A weekly letter on the history, culture and people behind the headlines.",
        "sort_order": 20,
    },
    {
        "slug": "weekly-review",
        "name": "Weekly Review",
        "host": "",
        "description": "The week's reporting and analysis in one Saturday email.",
        "sort_order": 30,
    },
    {
        "slug": "breaking",
        "name": "Breaking News Alerts",
        "host": "",
        "description": "Only the stories that can't wait.",
        "sort_order": 40,
    },
]


# Each demo list's welcome email, set when the list is created.
WELCOME = {
    "daily": (
        "Welcome to The Daily Brief",
        "Thank you for confirming. **The Daily Brief** arrives every weekday morning with the "
        "stories that matter most, in five minutes of reading.\n\n"
        "- What happened overnight\n- What to watch today\n- One longer read for the "
        "evening\n\nReply to any issue: an editor reads every answer.",
    ),
    "explaining-ukraine": (
        "Welcome to Explaining Ukraine",
        "Thank you for confirming. Once a week, a letter on the history, culture and people "
        "behind the headlines.\n\nThe archive is on [our site](https://example.org/).",
    ),
    "weekly-review": (
        "Welcome to the Weekly Review",
        "Thank you for confirming. Every Saturday: the week's reporting and analysis in one "
        "email, to read *at your own pace*.",
    ),
    "breaking": (
        "Breaking news alerts are on",
        "Thank you for confirming. We write only when a story can't wait: a few times a month "
        "at most.",
    ),
}


class Command(DemoCommand):
    help = "Create the demo newsletters that are missing; existing lists are left untouched."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "load_demo is for a dev checkout, and DEBUG is off: this may be a real "
                "database. Run it with --force if it is not."
            )
        for entry in DEMO_LISTS:
            subject, body = WELCOME.get(str(entry["slug"]), ("", ""))
            defaults = {**entry, "welcome_subject": subject, "welcome_body": body}
            newsletter, created = Newsletter.objects.get_or_create(
                slug=entry["slug"], defaults=defaults
            )
            if created:
                self.stdout.write(f"created {newsletter.name}")
            else:
                self.stdout.write(f"left as it is: {newsletter.name}")
