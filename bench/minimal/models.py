"""The baseline's table: what a minimal sign-up view stores, one row per request."""

from typing import ClassVar

from django.db import models


class MinimalSignUp(models.Model):
    email = models.CharField(max_length=254)
    newsletter = models.CharField(max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    # Declared: the type checker's settings don't install this app.
    objects: ClassVar[models.Manager["MinimalSignUp"]] = models.Manager()

    def __str__(self) -> str:
        return self.email
