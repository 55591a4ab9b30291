"""Which providers can send list mail in batches: one call for many readers, each with their
own links in the body, their own List-Unsubscribe header and their own metadata.

That takes three anymail features at once, with no template stored at the provider:
merge_data merged into the message's own body, merge_headers and merge_metadata. From
anymail's feature matrix (docs/esps/esp-feature-matrix.csv, 15.x) and the providers' docs:

- Mailgun: all three; recipient variables are written `%recipient.NAME%` in the body, and a
  call takes at most 1,000 recipients (Mailgun's batch sending docs).
- Postmark and Amazon SES merge data only into a stored template; Mandrill has no
  merge_headers; SendGrid is no longer supported by anymail. Others (SparkPost, Mailjet,
  Brevo) may qualify, each with its own syntax and limit: they are left out until a test
  against their fake says how they behave.

Elsewhere every reader's message is its own call, which every provider accepts.
"""

from dataclasses import dataclass

from django.conf import settings

from ..app_settings import app_settings


@dataclass(frozen=True)
class BatchProvider:
    field: str  # a per-recipient value in the body, "{}" for its name
    limit: int  # recipients a call takes at most


BATCH_PROVIDERS = {
    "anymail.backends.mailgun.EmailBackend": BatchProvider(field="%recipient.{}%", limit=1000),
}


def batch_size() -> tuple[BatchProvider, int] | None:
    """The configured provider's batch syntax and how many readers a call takes (never over
    the provider's limit); None where list mail goes one reader a call."""
    provider = BATCH_PROVIDERS.get(settings.EMAIL_BACKEND)
    wanted = app_settings.LIST_BATCH_SIZE
    if provider is None or wanted <= 1:
        return None
    return provider, min(wanted, provider.limit)
