"""The one settings module. Every value an operator may change is read from the environment.

`make run` sets DEBUG=1 and a generated ANYMAIL_WEBHOOK_SECRET, nothing else: every other
default is embedded, so the app runs with no database or broker server (SQLite and kombu's
filesystem transport under var/). The app's own settings keep their defaults in
subscriptions/app_settings.py: this module sets only those the environment sets, and imports
nothing of the app's (import-linter holds it to that), so what the app derives from its settings
is derived where the app is: the captcha's Content-Security-Policy sources by the page that shows
the widget (subscriptions/guards/captcha.py), beat's sweeps and the Redis visibility timeout in
newsroom/celery.py, an unknown CAPTCHA_PROVIDER refused by subscriptions/apps.py.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from .env import env_bool, env_float, env_given, env_int, env_list
from .logs import LINE_FORMAT

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
# prometheus-client's multiprocess mode: every web and worker process of this host writes its
# metrics here and /metrics adds them up. Set before any process imports prometheus_client,
# which settings always precede; wiped by whatever starts the processes (make run does).
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "prometheus"))
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


# The app's settings, each set here only when the environment sets it: the app falls back to
# its own default (subscriptions/app_settings.py, where each is explained) for every name left
# out, so `manage.py diffsettings` shows what this deployment changed. By kind, so a value that
# doesn't read as its kind stops the start naming the variable. SITE_URL is read below.
_APP_VARIABLES: dict[str, tuple[str, ...]] = {
    "text": (
        "SITE_NAME", "SITE_LOGO_URL", "CLIENT_IP_HEADER", "REDIS_URL", "REDIS_KEY_PREFIX",
        "LIST_FROM_EMAIL", "POSTAL_ADDRESS", "UNSUBSCRIBE_MAILTO", "LIST_ESP_EXTRA",
        "ERASURE_HASH_KEY", "CONSENT_VERSION", "SIGNUP_HONEYPOT_FIELD", "SIGNUP_IP_LIMITS",
        "RATE_LIMIT_STORAGE_URL", "CAPTCHA_PROVIDER", "CAPTCHA_SITE_KEY", "CAPTCHA_SECRET",
        "CAPTCHA_VERIFY_URL", "METRICS_TOKEN",
    ),
    "lists": ("PARTNER_ORIGINS", "LIST_FROM_DOMAINS", "UPLOAD_VIEWS", "METRICS_ALLOWED_IPS"),
    "integers": (
        "IPV6_CLIENT_PREFIX", "CONFIRMATION_MAX_AGE", "SOFT_BOUNCE_LIMIT", "SOFT_BOUNCE_WINDOW",
        "RESUBSCRIBE_WITHIN_DAYS", "DATA_EXPORT_LINK_MAX_AGE", "DATA_EXPORT_INTERVAL",
        "CONFIRMATION_COOLDOWN", "READER_MAX_BODY", "ADMIN_MAX_BODY", "WEBHOOK_MAX_BODY",
        "UPLOAD_MAX_BODY", "SIGNUP_FORM_MAX_AGE", "ADDRESS_DAILY_CAP", "SIGNUP_SWEEP_INTERVAL",
        "SIGNUP_BATCH_SIZE", "LISTS_CACHE_SECONDS", "SEND_LEASE", "SEND_BATCH",
        "SEND_CONCURRENCY", "OUTBOX_SWEEP_INTERVAL", "SEND_RETRY_WINDOW", "SEND_BACKOFF_BASE",
        "SEND_BACKOFF_MAX", "PENDING_RETENTION_DAYS", "EVENT_RETENTION_DAYS",
        "EDITION_SEND_RATE", "LIST_BATCH_SIZE",
    ),
    "numbers": (
        "SIGNUP_MIN_FILL_SECONDS", "SIGNUP_WAKE_WITHIN", "PROVIDER_EVENT_WAKE_WITHIN",
        "SEND_WAKE_WITHIN",
    ),
    "flags": ("ALLOW_SMTPUTF8", "EMAIL_CHECK_DELIVERABILITY"),
}  # fmt: skip
_given = env_given(**_APP_VARIABLES)
globals().update(_given)
# The few the project's own settings below are made from: each is empty unless set, as the app's
# default is. What is made from one with a default of its own is made where the app is.
_REDIS_URL = os.environ.get("REDIS_URL", "")
_REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "")
_PARTNER_ORIGINS = env_list("PARTNER_ORIGINS")

DEBUG = env_bool("DEBUG")
PORT = env_int("PORT", 8000)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
# Rotating SECRET_KEY revokes every link ever sent (unsubscribe links never expire): put the
# old key here, comma-separated, for as long as its links should keep working.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL, *_PARTNER_ORIGINS]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "anymail",
    "corsheaders",
    "csp",
    "axes",
    "subscriptions",
    # After subscriptions: it builds on that app's public face (subscriptions/api.py).
    "editions",
]

MIDDLEWARE = [
    "newsroom.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Above anything that can answer on its own (WhiteNoise, CommonMiddleware): it answers CORS
    # preflights itself and must add its headers to every response under /subscribe/.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CsrfViewMiddleware, which reads a POST body.
    "newsroom.middleware.RequestBodyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a refusal by login_limit.LoginIPLimitBackend into a 429 page.
    "newsroom.login_limit.LoginIPLimitMiddleware",
    "newsroom.middleware.DatabaseUnavailableMiddleware",
    # Last, as axes documents: it turns the lockout flag set during authentication into the
    # lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuse an IP over its failed-login limit, then a locked-out username+IP pair,
    # before the password is even checked.
    "newsroom.login_limit.LoginIPLimitBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Editors' passwords guard every reader's address and the erase action: Django's four
# validators, with 12 characters at least (length, not composition rules, is what makes a
# password hard to guess). `changepassword`, `createsuperuser` and the admin's password forms
# all refuse what they refuse.
_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATION}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATION}.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": f"{_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATION}.NumericPasswordValidator"},
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # Off by default: a health check is a SELECT 1 on every request. The sign-up INSERT
        # retries once on a connection a database restart killed; other pages answer 503 once.
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent sign-ups queue for it instead of
    # failing with "database is locked" when a read lock cannot be upgraded.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# newsroom/bodies.py caps each kind of path's body by its Content-Length before anything reads
# it (READER_, ADMIN_, WEBHOOK_, UPLOAD_MAX_BODY), with a clear 413, on every path a view answers.
# Django's one cap for all paths (a body's fields, files not counted) is off: set, it would have
# to be the largest of those app settings, and would only ever refuse, with a bare 400, a body a
# path allows. FILE_UPLOAD_MAX_MEMORY_SIZE: a file part larger than this goes to a temporary file;
# only UPLOAD_VIEWS take files at all, every other body is parsed in memory, so this concerns
# only uploads (capped by UPLOAD_MAX_BODY).
DATA_UPLOAD_MAX_MEMORY_SIZE = None
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

if _REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _REDIS_URL,
            "KEY_PREFIX": _REDIS_KEY_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("uk", "Ukrainian")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Kyiv")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT") or VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Email -------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "")
if not EMAIL_BACKEND:
    if not DEBUG:
        # The dev mailbox sends nothing: in production it would swallow every confirmation.
        raise ImproperlyConfigured("EMAIL_BACKEND is required when DEBUG is off.")
    EMAIL_BACKEND = "newsroom.devmail.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Newsroom <newsletters@localhost>")
DEV_MAIL_DIR = VAR_DIR / "mail"
# Every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"], so any provider anymail supports is
# configured without code (e.g. ANYMAIL_POSTMARK_SERVER_TOKEN, ANYMAIL_POSTMARK_API_URL).
ANYMAIL: dict[str, object] = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_") and len(key) > len("ANYMAIL_")
}
# Environment values are strings; these few anymail settings are not.
for _key in ("IGNORE_RECIPIENT_STATUS", "IGNORE_UNSUPPORTED_FEATURES", "DEBUG_API_REQUESTS"):
    if _key in ANYMAIL:
        ANYMAIL[_key] = env_bool(f"ANYMAIL_{_key}")
# The provider webhooks (/anymail/...: bounces, complaints, inbound mail) change subscriptions:
# HTTP basic auth "user:password" guards them, and production doesn't start without it (`make
# run` generates one: under DEBUG without it, any page could post a forged bounce to 127.0.0.1).
if not DEBUG and not ANYMAIL.get("WEBHOOK_SECRET"):
    raise ImproperlyConfigured(
        "ANYMAIL_WEBHOOK_SECRET (user:password) is required when DEBUG is off: it guards the "
        "provider webhooks. Put the same credentials in each webhook URL at your provider."
    )
# Erased readers are remembered by a keyed hash of their inbox, under a key of its own (see
# ERASURE_HASH_KEY in subscriptions/app_settings.py): SECRET_KEY's rotation must not forget them.
if not os.environ.get("ERASURE_HASH_KEY"):
    if not DEBUG:
        raise ImproperlyConfigured("ERASURE_HASH_KEY is required when DEBUG is off.")
    ERASURE_HASH_KEY = "dev-only-erasure-key-never-use-in-production"

# The provider's options for list mail: a typo would stop every list email at its first
# send, so it is refused here, at start.
try:
    _list_esp_extra = json.loads(os.environ.get("LIST_ESP_EXTRA") or "{}")
except json.JSONDecodeError:
    _list_esp_extra = None
if not isinstance(_list_esp_extra, dict):
    raise ImproperlyConfigured(
        'LIST_ESP_EXTRA must be a JSON object, e.g. {"MessageStream": "broadcast"}.'
    )

# A provider call must end well inside the task's soft time limit (SEND_TIME_LIMIT * 3/4).
_REQUESTS_TIMEOUT = env_float("ANYMAIL_REQUESTS_TIMEOUT", 20)
ANYMAIL["REQUESTS_TIMEOUT"] = _REQUESTS_TIMEOUT

# --- Celery ------------------------------------------------------------------------------------
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object]
if _REDIS_URL:
    CELERY_BROKER_URL = _REDIS_URL
    # Its visibility_timeout, made from SEND_BACKOFF_MAX, is added by newsroom/celery.py.
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
    if _REDIS_KEY_PREFIX:
        CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = _REDIS_KEY_PREFIX
else:
    # kombu's filesystem transport needs no server, so `make run` works on a bare machine.
    # data_folder_in and data_folder_out must be the same folder, or nothing is ever consumed.
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # kombu polls the folder once a second by default, and a confirmation waits for two
        # messages (process_sign_ups, then send_due_of): a tenth of a second costs a directory
        # listing per queue, and takes make run's confirmation from about 3 s to well under 1.
        "polling_interval": 0.1,
    }
    # Without Redis the worker has no event loop, and a wake-up's countdown is kept by a timer
    # thread that sleeps up to this long between looks (1 s by default), however soon the
    # countdown ends.
    CELERY_WORKER_TIMER_PRECISION = 0.1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A sign-up must not hang on a dead broker: fail the publish fast and let the sweeper send it.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
# Late acks + reject_on_worker_lost: a worker killed mid-send leaves the message on the broker
# for another worker; the outbox claim stops that redelivery from sending twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process: a slow provider call must not strand prefetched sign-ups.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Hard limit kills a stuck provider call; the lease (SEND_LEASE) outlives it, so no overlap.
CELERY_TASK_TIME_LIMIT = env_int("SEND_TIME_LIMIT", 60)
CELERY_TASK_SOFT_TIME_LIMIT = max(1, CELERY_TASK_TIME_LIMIT * 3 // 4)
# JSON only: tasks take ids, and pickle would let anyone who can write to the broker run code.
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Nobody reads task results; the outbox rows are the record.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# Each kind of queued email sends on a queue of its own, named by its metric_kind (confirmation,
# welcome, data_export; newsroom/celery.py routes send_due_of by its argument), so a backlog of
# one kind never waits in front of another. The confirmation queue also takes what leads to a
# confirmation (process_sign_ups) and beat's sweep, and only a worker of its own consumes it
# (docs/operations.md "Workers"). "email" is where older releases queued send_due and
# send_confirmation.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [
    Queue(name) for name in ("default", "email", "confirmation", "welcome", "data_export")
]
CELERY_TASK_ROUTES = (
    "newsroom.celery.route_by_kind",
    {
        "subscriptions.tasks.send_confirmation": {"queue": "confirmation"},
        "subscriptions.tasks.process_sign_ups": {"queue": "confirmation"},
        "subscriptions.tasks.sweep_outbox": {"queue": "confirmation"},
        "subscriptions.tasks.send_due": {"queue": "email"},
    },
)
# beat's schedule is newsroom/celery.py's: its sweeps run at intervals that are app settings.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")

# --- Logging -----------------------------------------------------------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Both stamp each line in UTC (ISO 8601), as gunicorn's lines are (newsroom/logs.py).
    "formatters": {
        # One record, one line, every value logfmt-quoted: no value can forge a record.
        "logfmt": {"()": "newsroom.logs.LogfmtFormatter", "format": LINE_FORMAT},
        # Only the dev mailbox's printout (DEBUG's email backend): a whole email to read and
        # click through, ours, never a reader's input to a log line.
        "plain": {"()": "newsroom.logs.UTCFormatter", "format": LINE_FORMAT},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "logfmt"},
        "dev_mailbox": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "loggers": {
        "subscriptions": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "newsroom": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "newsroom.devmail": {"handlers": ["dev_mailbox"], "level": LOG_LEVEL, "propagate": False},
        # Unhandled errors (500s) with their tracebacks: Django's own handlers print only with
        # DEBUG on, or email ADMINS, which nobody sets.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # Django's own console handler (DEBUG only) writes bare messages, with no time at all.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
    # Everything else: the libraries' warnings and, in the worker and beat, Celery's own lines
    # (newsroom/celery.py hands Celery's logging to this configuration).
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# --- Production hardening (off in DEBUG so `make run` works over plain http) --------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
)
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
    # SECURE_COOKIES=0 only for plain-http test servers; production is always https.
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"

# --- Web security: CSP, Permissions-Policy, cross-origin sign-ups, admin login ----------------
# Content-Security-Policy (django-csp 4). No inline script or style anywhere: every script is a
# static file, so markup injected past template escaping cannot run. frame-ancestors 'none' is
# the CSP form of X_FRAME_OPTIONS = "DENY"; base-uri stops an injected <base> re-pointing the
# relative script URLs; form-action keeps forms from posting readers' addresses elsewhere.
_CSP_DIRECTIVES: dict[str, list[str]] = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
    "base-uri": [SELF],
    "object-src": [NONE],
}
# The page that shows a captcha's widget adds what it loads to its own response's policy
# (subscriptions/guards/captcha.py holds each provider's sources): every other page keeps this
# one.
CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}

# Permissions-Policy via django-permissions-policy (adamchainz; it validates feature names, so a
# typo fails at startup instead of silently allowing the feature). The page needs none of these;
# denying them also denies them to any embedded frame (the captcha widget). browsing-topics is
# the Topics API; its predecessor interest-cohort (FLoC) is gone and browsers now warn about it.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics")
}

# CORS (django-cors-headers), for partner front ends only and only on the sign-up endpoints:
# the POST itself and the fresh form token their pages need before it. Origins not listed get
# no CORS headers, and subscriptions/guards/origin.py refuses their POSTs (and Origin: null)
# with 403. No credentials: a sign-up never needs the reader's cookies here.
CORS_URLS_REGEX = r"^/subscribe/"
CORS_ALLOWED_ORIGINS = _PARTNER_ORIGINS
CORS_ALLOW_METHODS = ["POST"]
CORS_ALLOW_HEADERS = ["accept", "content-type"]
CORS_ALLOW_CREDENTIALS = False

# Admin login brute force (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# username from one IP, that pair is refused for an hour. Keyed on the pair, so an attacker
# cannot lock an editor out from elsewhere, nor one locked-out address block its colleagues.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
# Refused at start: a prefix outside an IPv6 address would fail every request's count.
_ipv6_prefix = _given.get("IPV6_CLIENT_PREFIX")
if isinstance(_ipv6_prefix, int) and not 1 <= _ipv6_prefix <= 128:
    raise ImproperlyConfigured("IPV6_CLIENT_PREFIX must be between 1 and 128 (64 is usual).")
# And, beside axes, failed logins per IP whatever the username (newsroom/login_limit.py), in
# the limits library's notation; "" switches it off.
ADMIN_LOGIN_IP_LIMIT = os.environ.get("ADMIN_LOGIN_IP_LIMIT", "30/hour")
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Its lockout gets the same page as the per-IP limit's.
AXES_LOCKOUT_CALLABLE = "newsroom.login_limit.axes_lockout"
# The same client as the sign-up and sign-in limits count (honours CLIENT_IP_HEADER; an IPv6
# client by its IPV6_CLIENT_PREFIX network), instead of django-ipware's guesses from headers a
# client can forge. axes stores that key as the attempt's address ("2001:db8:1:2::/64", which
# PostgreSQL's inet takes), so its lockouts hold across the addresses of one /64.
AXES_CLIENT_IP_CALLABLE = "subscriptions.api.client_key"
