"""The one settings module. Every value an operator may change is read from the environment.

`make run` sets DEBUG=1 and nothing else: every other default is embedded, so the app runs with
no database or broker server (SQLite and kombu's filesystem transport under var/).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


DEBUG = env_bool("DEBUG")
PORT = env_int("PORT", 8000)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
SITE_NAME = os.environ.get("SITE_NAME", "The Newsroom")
# Front ends on other origins allowed to POST sign-ups here (scheme://host[:port]).
PARTNER_ORIGINS = env_list("PARTNER_ORIGINS")
CSRF_TRUSTED_ORIGINS = [SITE_URL, *PARTNER_ORIGINS]

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
]

MIDDLEWARE = [
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
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "newsroom.middleware.DatabaseUnavailableMiddleware",
    # Last, as axes documents: it turns the lockout flag set during authentication into the
    # lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username+IP before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
                "subscriptions.context_processors.captcha_script",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent sign-ups queue for it instead of
    # failing with "database is locked" when a read lock cannot be upgraded.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Sign-ups are a few hundred bytes; refuse anything far larger with a 400 before parsing it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 256 * 1024)

REDIS_URL = os.environ.get("REDIS_URL", "")
# Lets several deployments (or test runs) share one Redis without seeing each other's keys.
REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
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
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_") and len(key) > len("ANYMAIL_")
}
# Environment values are strings; these few anymail settings are not.
for _key in ("IGNORE_RECIPIENT_STATUS", "IGNORE_UNSUPPORTED_FEATURES", "DEBUG_API_REQUESTS"):
    if _key in ANYMAIL:
        ANYMAIL[_key] = env_bool(f"ANYMAIL_{_key}")
# A provider call must end well inside the task's soft time limit (SEND_TIME_LIMIT * 3/4).
ANYMAIL["REQUESTS_TIMEOUT"] = float(ANYMAIL.get("REQUESTS_TIMEOUT", 20))

# --- Subscriptions -----------------------------------------------------------------------------
CONFIRMATION_MAX_AGE = env_int("CONFIRMATION_MAX_AGE", 7 * 24 * 3600)
UNSUBSCRIBE_MAX_AGE = env_int("UNSUBSCRIBE_MAX_AGE", 365 * 24 * 3600)
# One confirmation per address per list per cooldown: a second sign-up within it sends nothing.
CONFIRMATION_COOLDOWN = env_int("CONFIRMATION_COOLDOWN", 600)
CONSENT_VERSION = os.environ.get("CONSENT_VERSION", "2026-11")
# MX lookups need DNS; off by default (tests have none), switch on in production if wanted.
EMAIL_CHECK_DELIVERABILITY = env_bool("EMAIL_CHECK_DELIVERABILITY")
# Header carrying the client IP when behind a trusted proxy (e.g. HTTP_X_FORWARDED_FOR);
# empty means REMOTE_ADDR. Never set it unless the proxy overwrites that header.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")

# --- Abuse resistance (subscriptions/abuse.py): each step has a setting ------------------------
# Honeypot: a field people never see; bots fill it.
SIGNUP_HONEYPOT_FIELD = os.environ.get("SIGNUP_HONEYPOT_FIELD", "website")
# Signed render timestamp: faster than this is a bot; older than the max age asks to resubmit.
SIGNUP_MIN_FILL_SECONDS = float(os.environ.get("SIGNUP_MIN_FILL_SECONDS") or 2)
SIGNUP_FORM_MAX_AGE = env_int("SIGNUP_FORM_MAX_AGE", 3600)
# Per client IP, in the `limits` library's notation; "" switches the step off.
SIGNUP_IP_LIMITS = os.environ.get("SIGNUP_IP_LIMITS", "10/minute;100/day")
# Where `limits` keeps its counters: Redis when there is one, else this process's memory.
RATE_LIMIT_STORAGE_URL = os.environ.get("RATE_LIMIT_STORAGE_URL") or REDIS_URL or "memory://"
# Per address, enforced in the database so it holds across IPs, workers and Redis outages.
ADDRESS_DAILY_CAP = env_int("ADDRESS_DAILY_CAP", 3)
# Optional captcha: "turnstile", "hcaptcha" or "friendly"; off when empty.
CAPTCHA_PROVIDER = os.environ.get("CAPTCHA_PROVIDER", "")
CAPTCHA_SITE_KEY = os.environ.get("CAPTCHA_SITE_KEY", "")
CAPTCHA_SECRET = os.environ.get("CAPTCHA_SECRET", "")
CAPTCHA_VERIFY_URL = os.environ.get("CAPTCHA_VERIFY_URL", "")  # override, e.g. for tests
# Outbox: a send claims its row for SEND_LEASE seconds; the sweeper re-queues rows unsent for
# OUTBOX_GRACE seconds whose lease has run out; transient failures retry for SEND_RETRY_WINDOW.
SEND_LEASE = env_int("SEND_LEASE", 120)
OUTBOX_GRACE = env_int("OUTBOX_GRACE", 60)
OUTBOX_SWEEP_INTERVAL = env_int("OUTBOX_SWEEP_INTERVAL", 60)
SEND_RETRY_WINDOW = env_int("SEND_RETRY_WINDOW", 6 * 3600)
SEND_BACKOFF_BASE = env_int("SEND_BACKOFF_BASE", 30)
SEND_BACKOFF_MAX = env_int("SEND_BACKOFF_MAX", 1800)

# --- Celery ------------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Must outlast the longest retry countdown: Redis re-delivers an unacked message after this,
    # and a countdown task sits unacked in the worker until its ETA.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": SEND_BACKOFF_MAX * 2 + 3600}
    if REDIS_KEY_PREFIX:
        CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = REDIS_KEY_PREFIX
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
    }
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
if SEND_LEASE <= CELERY_TASK_TIME_LIMIT:
    # Otherwise a slow but live send could lose its claim and a second send could start.
    raise ImproperlyConfigured("SEND_LEASE must be longer than SEND_TIME_LIMIT.")
# JSON only: tasks take ids, and pickle would let anyone who can write to the broker run code.
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Nobody reads task results; the outbox rows are the record.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# Email gets its own queue so operators can scale its workers separately.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue("default"), Queue("email")]
CELERY_TASK_ROUTES = {"subscriptions.tasks.send_confirmation": {"queue": "email"}}
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {
        "task": "subscriptions.tasks.sweep_outbox",
        "schedule": float(OUTBOX_SWEEP_INTERVAL),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")

# --- Logging -----------------------------------------------------------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "subscriptions": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "newsroom": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
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
# What each captcha widget loads, per its provider's CSP documentation (subscriptions/captcha.py
# holds the script URLs). Friendly Captcha's SDK comes from jsDelivr, which serves any npm
# package, so only its @friendlycaptcha/ path is allowed, never the whole CDN.
_HCAPTCHA = ["https://hcaptcha.com", "https://*.hcaptcha.com"]
_FRCAPI = ["https://global.frcapi.com", "https://eu.frcapi.com"]
_CAPTCHA_CSP: dict[str, dict[str, list[str]]] = {
    "turnstile": {
        "script-src": ["https://challenges.cloudflare.com"],
        "frame-src": ["https://challenges.cloudflare.com"],
    },
    "hcaptcha": {d: _HCAPTCHA for d in ("script-src", "frame-src", "style-src", "connect-src")},
    "friendly": {
        "script-src": ["https://cdn.jsdelivr.net/npm/@friendlycaptcha/"],
        "frame-src": _FRCAPI,
        "connect-src": _FRCAPI,
    },
}
if CAPTCHA_PROVIDER and CAPTCHA_PROVIDER not in _CAPTCHA_CSP:
    # A typo would otherwise leave a widget the CSP blocks, and so a form nobody can submit.
    raise ImproperlyConfigured(f"CAPTCHA_PROVIDER must be one of {', '.join(_CAPTCHA_CSP)}.")
for _directive, _origins in _CAPTCHA_CSP.get(CAPTCHA_PROVIDER, {}).items():
    # A directive absent above falls back to default-src 'self'; keep that when adding to it.
    _CSP_DIRECTIVES[_directive] = [*_CSP_DIRECTIVES.get(_directive, [SELF]), *_origins]
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
# no CORS headers, and subscriptions/origin.py refuses their POSTs (and Origin: null) with 403.
# No credentials: a sign-up never needs the reader's cookies here.
CORS_URLS_REGEX = r"^/subscribe/"
CORS_ALLOWED_ORIGINS = PARTNER_ORIGINS
CORS_ALLOW_METHODS = ["POST"]
CORS_ALLOW_HEADERS = ["accept", "content-type"]
CORS_ALLOW_CREDENTIALS = False

# Admin login brute force (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one
# username from one IP, that pair is refused for an hour. Keyed on the pair, so an attacker
# cannot lock an editor out from elsewhere, nor one locked-out address block its colleagues.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The same client address as sign-ups and their rate limit (honours CLIENT_IP_HEADER), instead
# of django-ipware's guesses from headers a client can forge.
AXES_CLIENT_IP_CALLABLE = "subscriptions.origin.client_ip"
