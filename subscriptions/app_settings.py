"""The app's settings and their defaults, in one place, in the manner of allauth's app_settings.

Each value is looked up in django.conf.settings when it is used, never at import, so tests can
override it with the `settings` fixture and a project sets only what it changes. The defaults
live here alone: newsroom/settings.py reads the environment into these names and leaves the rest
to this module.
"""

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class Defaults:
    # Links in emails are built from SITE_URL, never from a request's Host header.
    SITE_URL: str = "http://127.0.0.1:8000"
    SITE_NAME: str = "The Newsroom"
    # The masthead of every email shows this image (an https URL, or a path on SITE_URL)
    # instead of SITE_NAME, which stays its alt text; empty: the name alone.
    SITE_LOGO_URL: str = ""
    # Other origins (scheme://host[:port]) whose pages may POST sign-ups here.
    PARTNER_ORIGINS: tuple[str, ...] = ()
    # Header a trusted proxy overwrites with the client IP (e.g. HTTP_X_FORWARDED_FOR); empty
    # means REMOTE_ADDR. Never set it unless the proxy overwrites that header.
    CLIENT_IP_HEADER: str = ""
    # The per-client limits (sign-ups, admin sign-ins, axes) count an IPv6 client by its network
    # of this many bits: an ISP gives a home or a phone a whole /64, whose addresses it may
    # change at will. 128 counts each address apart.
    IPV6_CLIENT_PREFIX: int = 64
    REDIS_URL: str = ""
    # Lets several deployments (or test runs) share one Redis without seeing each other's keys.
    REDIS_KEY_PREFIX: str = ""

    CONFIRMATION_MAX_AGE: int = 7 * 24 * 3600
    # Unsubscribe links never expire (last year's newsletter must still work); rotating
    # SECRET_KEY, with the old key in SECRET_KEY_FALLBACKS for a while, is how they are revoked.

    # List mail (listmail.py): its sender, kept apart from confirmations' DEFAULT_FROM_EMAIL;
    # the domains the provider has verified (empty: LIST_FROM_EMAIL's own), which a list's own
    # sender must be in; a mailbox for mailto: unsubscribes (through anymail's inbound
    # webhook); and the provider's options for list mail as JSON, e.g. Postmark's broadcast
    # stream: {"MessageStream": "broadcast"}.
    LIST_FROM_EMAIL: str = "Newsroom lists <lists@localhost>"
    LIST_FROM_DOMAINS: tuple[str, ...] = ()
    # The sender's physical postal address, in the footer of every list email (CAN-SPAM);
    # `check --deploy` warns while it is empty.
    POSTAL_ADDRESS: str = ""
    UNSUBSCRIBE_MAILTO: str = ""
    LIST_ESP_EXTRA: str = ""
    # Soft bounces and deferrals an inbox may collect within the window before it is
    # suppressed (a hard bounce or a complaint suppresses at once).
    SOFT_BOUNCE_LIMIT: int = 3
    SOFT_BOUNCE_WINDOW: int = 7 * 24 * 3600
    # "Subscribe again" on the unsubscribe page needs no new opt-in within this many days.
    RESUBSCRIBE_WITHIN_DAYS: int = 30
    # Preference center and the reader's own data (GDPR Art. 15, 17 and 20). A data-export
    # link works this long, and an address gets at most one per DATA_EXPORT_INTERVAL, so the
    # button can't flood an inbox.
    DATA_EXPORT_LINK_MAX_AGE: int = 24 * 3600
    DATA_EXPORT_INTERVAL: int = 24 * 3600
    # The key of the erased inboxes' hashes (erasure.py). Its own secret, not SECRET_KEY:
    # rotating SECRET_KEY revokes links, and must not forget whom we erased. Required in
    # production; changing it forgets every erasure recorded under the old key.
    ERASURE_HASH_KEY: str = ""
    # One confirmation per address per list per cooldown: a second sign-up within it sends
    # nothing.
    CONFIRMATION_COOLDOWN: int = 600
    # Stored with each consent; bump it when the consent wording changes.
    CONSENT_VERSION: str = "2026-12"
    # Addresses with a non-ASCII local part (SMTPUTF8) need a provider that supports them.
    ALLOW_SMTPUTF8: bool = False
    # Bytes a request body may have (newsroom/bodies.py), refused by Content-Length before it is
    # read: on reader pages; on the admin (its change forms and bulk actions, never a file); on
    # the provider webhooks (a batch of events, or inbound mail with its attachments).
    READER_MAX_BODY: int = 32 * 1024
    # An edition's body may render to 100 KB of HTML; in Ukrainian, its Markdown posted
    # percent-encoded is about three times that (each Cyrillic letter: two bytes, six
    # characters). 1 MiB lets a body well over the limit reach the form's message, not a 413.
    ADMIN_MAX_BODY: int = 1024 * 1024
    WEBHOOK_MAX_BODY: int = 10 * 1024 * 1024
    # The only views that accept file parts, by URL name (e.g. "admin:<app>_<model>_import"),
    # and the cap of their bodies. Every other page refuses a file with a 400.
    UPLOAD_VIEWS: tuple[str, ...] = ()
    UPLOAD_MAX_BODY: int = 5 * 1024 * 1024
    # MX lookups need DNS, which tests don't have; switch on in production if wanted.
    EMAIL_CHECK_DELIVERABILITY: bool = False

    # The abuse pipeline (abuse.py): each step has a setting.
    SIGNUP_HONEYPOT_FIELD: str = "website"
    # Faster than this is a bot; a form older than the max age asks the reader to resubmit.
    SIGNUP_MIN_FILL_SECONDS: float = 2.0
    SIGNUP_FORM_MAX_AGE: int = 3600
    # Per client IP, in the `limits` library's notation; "" switches the step off.
    SIGNUP_IP_LIMITS: str = "10/minute;100/day"
    # Where `limits` keeps its counters; empty means REDIS_URL, else the database.
    RATE_LIMIT_STORAGE_URL: str = ""
    # Per address, in the database, so it holds across IPs, processes and Redis outages.
    ADDRESS_DAILY_CAP: int = 3
    # The request records a sign-up; a worker processes it. Each web process wakes the worker
    # at most once per SIGNUP_WAKE_WITHIN seconds, and a sign-up is processed within about
    # that long; beat's sweep every SIGNUP_SWEEP_INTERVAL takes what no wake-up announced.
    SIGNUP_WAKE_WITHIN: float = 0.25
    SIGNUP_SWEEP_INTERVAL: int = 5
    SIGNUP_BATCH_SIZE: int = 200
    # Provider webhooks store events; a worker applies them, woken at most once per this many
    # seconds per web process, and beat's send-due sweep (OUTBOX_SWEEP_INTERVAL) finds the rest.
    PROVIDER_EVENT_WAKE_WITHIN: float = 1.0
    # How long a web process reuses the lists a form offers before reading them again.
    LISTS_CACHE_SECONDS: int = 30
    # Optional captcha: "turnstile", "hcaptcha" or "friendly" (captcha.PROVIDERS); off if empty.
    CAPTCHA_PROVIDER: str = ""
    CAPTCHA_SITE_KEY: str = ""
    CAPTCHA_SECRET: str = ""
    CAPTCHA_VERIFY_URL: str = ""  # overrides the provider's, e.g. for tests

    # Who may read /metrics: clients in these networks (e.g. "10.0.0.0/8"), or requests with
    # "Authorization: Bearer <METRICS_TOKEN>". Everyone else gets a 404, and so does everyone
    # while both are empty.
    METRICS_ALLOWED_IPS: tuple[str, ...] = ()
    METRICS_TOKEN: str = ""

    # The outbox: a sender claims up to SEND_BATCH rows for SEND_LEASE seconds and sends them
    # from SEND_CONCURRENCY threads. It is woken at most once per SEND_WAKE_WITHIN seconds per
    # process after rows are queued, at each retry's time, and by beat every
    # OUTBOX_SWEEP_INTERVAL. Transient provider failures are retried for SEND_RETRY_WINDOW.
    SEND_LEASE: int = 120
    SEND_BATCH: int = 64
    SEND_CONCURRENCY: int = 64
    SEND_WAKE_WITHIN: float = 0.1
    OUTBOX_SWEEP_INTERVAL: int = 10
    SEND_RETRY_WINDOW: int = 6 * 3600
    SEND_BACKOFF_BASE: int = 30
    SEND_BACKOFF_MAX: int = 1800
    # Editions' emails a second, across every worker and host (the limits library, on Redis or
    # the database: RATE_LIMIT_STORAGE's), for a provider that caps a sender's rate; 0: as fast
    # as the workers go.
    EDITION_SEND_RATE: int = 0
    # Readers one provider call takes, where the provider can merge each reader's links and
    # headers into one message (sending/batching.py: Mailgun); elsewhere, or at 0 or 1, each
    # reader's message is a call of its own.
    LIST_BATCH_SIZE: int = 500

    # Retention (services/retention.py, daily). A sign-up nobody confirmed gives no reason to
    # keep the address: it goes after PENDING_RETENTION_DAYS (never before its confirmation
    # link expires). Provider events go after EVENT_RETENTION_DAYS (never inside
    # SOFT_BOUNCE_WINDOW, which counts them): over a year of bounces and complaints to look
    # back on when a mailbox provider questions our sending.
    PENDING_RETENTION_DAYS: int = 30
    EVENT_RETENTION_DAYS: int = 400


class AppSettings(Defaults):
    """Typed like Defaults; each upper-case name is the project's setting, else the default."""

    def __getattribute__(self, name: str) -> Any:
        default = super().__getattribute__(name)
        return getattr(settings, name, default) if name.isupper() else default

    @property
    def list_sender_domains(self) -> set[str]:
        """Where list mail may come from: LIST_FROM_DOMAINS, else LIST_FROM_EMAIL's domain."""
        listed = {d.strip().lower() for d in self.LIST_FROM_DOMAINS if d.strip()}
        return listed or {parseaddr(self.LIST_FROM_EMAIL)[1].rpartition("@")[2].lower()}

    @property
    def rate_limit_storage_url(self) -> str:
        # Without Redis, the database: every process must share one counter.
        return self.RATE_LIMIT_STORAGE_URL or self.REDIS_URL or "database://"


app_settings = AppSettings()
