"""Send again the confirmation emails that failed on our side (e.g. a bad provider token),
once the configuration is fixed. Addresses the provider refused are not touched."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from subscriptions import services


class Command(BaseCommand):
    help = "Re-queue failed confirmation emails that still have a pending subscription."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="Only those from the last N days.")

    def handle(self, *args: Any, days: int, **options: Any) -> None:
        ids = services.requeue_failed_confirmations(since=timezone.now() - timedelta(days=days))
        self.stdout.write(f"re-queued {len(ids)} confirmation email(s)")
