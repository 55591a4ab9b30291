"""Create or refresh the demo newsletters. Safe to run again: it updates by slug."""

from typing import Any

from django.core.management.base import BaseCommand

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


# Each list's welcome email, set where the list has none yet, so an editor's own text stays.
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


class Command(BaseCommand):
    help = "Create or update the demo newsletters shown on the demo article page."

    def handle(self, *args: Any, **options: Any) -> None:
        for entry in DEMO_LISTS:
            defaults = {k: v for k, v in entry.items() if k != "slug"}
            newsletter, created = Newsletter.objects.update_or_create(
                slug=entry["slug"], defaults=defaults
            )
            welcome = WELCOME.get(newsletter.slug)
            if welcome and not newsletter.welcome_subject:
                newsletter.welcome_subject, newsletter.welcome_body = welcome
                newsletter.save(update_fields=["welcome_subject", "welcome_body"])
            self.stdout.write(f"{'created' if created else 'updated'} {entry['name']}")
