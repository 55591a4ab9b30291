"""Recorded sign-ups: what a reader asked for, written by the request in one INSERT and turned
into subscriptions by a worker.

The request can't look at the address (that would make its answer's time depend on whether the
address is known), so it only records; the worker decides, under the subscriber's lock. A row
lives until a worker has processed it, normally well under a second, and is then deleted: the
consent record keeps what proof of consent needs.
"""

from datetime import datetime
from typing import Self

from django.db import models
from django.utils.translation import gettext_lazy as _

from .subscribers import ConsentFacts


class RecordedSignUpQuerySet(models.QuerySet):
    def due(self, *, now: datetime) -> Self:
        """Rows a worker should process now, oldest first (a row that failed waits its turn)."""
        return self.filter(due_at__lte=now).order_by("pk")

    def of_address(self, email: str) -> Self:
        """The rows of this address in any case. Compared case-folded in Python, as subscribers'
        keys are (SQLite's case-insensitive match folds ASCII only); the domain, ASCII since
        IDNA, narrows the rows read. The table is normally all but empty."""
        domain = email.rpartition("@")[2]
        rows = self.filter(email__iendswith=f"@{domain}").values_list("pk", "email")
        return self.filter(pk__in=[pk for pk, e in rows if e.casefold() == email.casefold()])


class RecordedSignUp(ConsentFacts):
    email = models.CharField(_("email"), max_length=254)  # normalised by the form
    newsletter_ids = models.JSONField(_("lists"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("received"))
    # When a worker should take it: at once, or after a backoff when processing it failed.
    # No index: the drain walks the primary key, and every INSERT would pay for one.
    due_at = models.DateTimeField(_("due"))
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    objects = RecordedSignUpQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("recorded sign-up")
        verbose_name_plural = _("recorded sign-ups")

    def __str__(self) -> str:
        return f"#{self.pk} {self.created_at:%Y-%m-%d %H:%M:%S}"
