"""System checks an operator sees in `manage.py check --deploy`: what the law or the mailbox
providers ask of a sender, and settings can't refuse to start without."""

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register

from .app_settings import app_settings


@register(Tags.compatibility, deploy=True)
def postal_address_is_set(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if app_settings.POSTAL_ADDRESS.strip():
        return []
    return [
        Warning(
            "POSTAL_ADDRESS is empty: list emails show no postal address.",
            hint="CAN-SPAM asks every commercial email for the sender's valid physical "
            "postal address; set POSTAL_ADDRESS to the newsroom's.",
            id="subscriptions.W001",
        )
    ]
