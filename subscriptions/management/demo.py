"""What every command that writes demo data shares: it runs only in a dev checkout.

Demo lists and editions in a production database would be sent to real readers, so with
DEBUG off such a command refuses unless --force says the database is not a real one."""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class DemoCommand(BaseCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (not in production)."
        )

    def refuse_outside_a_dev_checkout(self, options: dict[str, Any]) -> None:
        if not settings.DEBUG and not options["force"]:
            name = type(self).__module__.rpartition(".")[2]
            raise CommandError(
                f"{name} is for a dev checkout, and DEBUG is off: this may be a real "
                "database. Run it with --force if it is not."
            )
