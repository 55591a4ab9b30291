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


class Command(BaseCommand):
    help = "Create or update the demo newsletters shown on the demo article page."

    def handle(self, *args: Any, **options: Any) -> None:
        for entry in DEMO_LISTS:
            defaults = {k: v for k, v in entry.items() if k != "slug"}
            _, created = Newsletter.objects.update_or_create(slug=entry["slug"], defaults=defaults)
            self.stdout.write(f"{'created' if created else 'updated'} {entry['name']}")
