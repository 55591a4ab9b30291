"""Lift every block on one client address: a newsroom whose office shares one IP, a reader
behind a busy proxy, an editor who mistyped their password too often."""

import ipaddress
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from subscriptions import abuse, lifecycle, ratelimit


class Command(BaseCommand):
    help = (
        "Clear one client IP's sign-up limits, its failed admin sign-ins, and axes' lockouts "
        "of usernames from it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "ip",
            help='the client address, as the logs show it; "unknown" for the requests that '
            "came with none (a CLIENT_IP_HEADER the proxy doesn't send puts everyone there)",
        )
        parser.add_argument("--by", default="operator", help="who lifts it, for the log")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ip = options["ip"].strip()
            ip = ip if ip == ratelimit.UNKNOWN_CLIENT else str(ipaddress.ip_address(ip))
        except ValueError as exc:
            raise CommandError(f"{options['ip']!r} is not an IP address.") from exc
        lockouts = abuse.unblock_ip(ip=ip, actor=lifecycle.editor(options["by"]))
        self.stdout.write(f"unblocked {ip}: rate limits cleared, {lockouts} axes record(s) gone")
