"""Lift every block on one client address: a newsroom whose office shares one IP, a reader
behind a busy proxy, an editor who mistyped their password too often."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from subscriptions.app_settings import app_settings
from subscriptions.core import lifecycle
from subscriptions.guards import abuse, origin, ratelimit


class Command(BaseCommand):
    help = (
        "Clear one client's sign-up limits, its failed admin sign-ins, and axes' lockouts "
        "of usernames from it. An IPv6 client is its IPV6_CLIENT_PREFIX network (a /64): "
        "any address in it lifts the whole network."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "ip",
            help="the client address (for IPv6, any address of its /64); "
            '"unknown" for the requests that came with none (a CLIENT_IP_HEADER the proxy '
            "doesn't send puts everyone there)",
        )
        parser.add_argument("--by", default="operator", help="who lifts it, for the log")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ip = options["ip"].strip()
            # The key the limits counted it under, as a request from it would have been.
            key = ip if ip == ratelimit.UNKNOWN_CLIENT else origin.address_key(ip)
        except ValueError as exc:
            raise CommandError(f"{options['ip']!r} is not an IP address.") from exc
        lockouts = abuse.unblock_ip(ip=key, actor=lifecycle.editor(options["by"]))
        self.stdout.write(
            f"unblocked {_shown(key)}: rate limits cleared, {lockouts} axes record(s) gone"
        )


def _shown(key: str) -> str:
    """An IPv6 client's key is its network's first address: say which network it stands for."""
    prefix = app_settings.IPV6_CLIENT_PREFIX
    return f"{key}/{prefix}" if ":" in key and prefix < 128 else key
