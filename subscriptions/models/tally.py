"""Running counts for the metrics endpoint: kept in the same transactions as the changes they
count, so a scrape reads a few rows however many subscriptions there are, and every web and
worker process on every host agrees on them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tally(models.Model):
    # e.g. "subscriptions:3:confirmed", "confirmations:sent", "signups:processed"
    key = models.CharField(_("key"), max_length=200, primary_key=True)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("tally")
        verbose_name_plural = _("tallies")

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"
