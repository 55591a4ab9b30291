from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Newsletter subscriptions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import catalog  # noqa: PLC0415 (models can't be imported before the registry)

        for signal in (post_save, post_delete):
            signal.connect(catalog.forget, sender="subscriptions.Newsletter")
