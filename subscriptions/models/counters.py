"""Rate-limit counters in the database, for deployments without Redis (see counters.py)."""

from django.db import models


class RateCounter(models.Model):
    """One window's count of one rate limit, shared by every process that uses the database."""

    key = models.CharField(max_length=255, unique=True)
    count = models.IntegerField(default=0)
    expires_at = models.FloatField(db_index=True)  # seconds since the epoch, as `limits` counts

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
