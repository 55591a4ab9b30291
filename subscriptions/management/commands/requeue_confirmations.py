"""Send again the confirmation emails that failed on our side (e.g. a bad provider token),
once the configuration is fixed. Addresses the provider refused are not touched."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from subscriptions import services


class Command(BaseCommand):
    help = "Re-queue failed confirmation emails that still have a pending subscription."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="Only those from the last N days.")

    def handle(self, *args, days: int, **options):
        ids = services.requeue_failed_confirmations(since=timezone.now() - timedelta(days=days))
        self.stdout.write(f"re-queued {len(ids)} confirmation email(s)")
