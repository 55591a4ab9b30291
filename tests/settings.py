"""Test settings: set the test environment, then read it through the one settings module."""

import os
import tempfile
import uuid

os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="newsroom-tests-"))
os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("ANYMAIL_WEBHOOK_SECRET", "anymail:webhook-secret")
os.environ.setdefault("ERASURE_HASH_KEY", "tests-only-erasure-key")
# Rate-limit counters in a shared Redis stay apart from other runs and deployments.
os.environ.setdefault("REDIS_KEY_PREFIX", f"tests-{uuid.uuid4().hex[:8]}:")

from newsroom.settings import *  # noqa: F403
from newsroom.settings import DATABASES, VAR_DIR

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# In-process tests run tasks with .apply(); real workers get their own broker
# (tests/support/stack.py).
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that server and worker subprocesses share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

os.makedirs(STATIC_ROOT, exist_ok=True)  # noqa: F405  (whitenoise warns about a missing folder)
