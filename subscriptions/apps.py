from anymail.signals import inbound, tracking
from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Newsletter subscriptions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Models can't be imported before the registry is ready: this is Django's place for it.
        # (checks registers itself)
        from . import checks  # noqa: PLC0415
        from .core import catalog, kinds  # noqa: PLC0415
        from .sending import builtin_kinds  # noqa: PLC0415
        from .web import receivers  # noqa: PLC0415

        # A setting the app can't work with stops every process (web, worker, command) here.
        checks.refuse_unusable_settings()
        # This app's kinds of email; another app registers its own from its ready() the same way.
        kinds.register(*builtin_kinds.KINDS)

        for signal in (post_save, post_delete):
            signal.connect(catalog.forget, sender="subscriptions.Newsletter")
        inbound.connect(receivers.unsubscribe_by_mail, dispatch_uid="subscriptions.mailto")
        tracking.connect(receivers.record_tracking_event, dispatch_uid="subscriptions.tracking")
