"""Count the metrics' running counts again from the rows, e.g. after restoring a backup."""

from typing import Any

from django.core.management.base import BaseCommand

from subscriptions import services


class Command(BaseCommand):
    help = "Recount subscriptions by list and status, and emails by outcome, for /metrics."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = services.recount_tallies()
        self.stdout.write(f"recounted {len(counts)} running count(s)")
