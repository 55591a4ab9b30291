from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditionsConfig(AppConfig):
    name = "editions"
    verbose_name = _("Editions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Declared here, not in subscriptions: that app never imports this one. Every reader of
        # the declarations (the sender, /metrics, the data document, the admin's records)
        # finds the edition kind from now on.
        from subscriptions.api import register_kind  # noqa: PLC0415

        from .composing import EDITIONS  # noqa: PLC0415

        register_kind(EDITIONS)
