"""The production settings, plus the baseline view: both endpoints share middleware, database
and gunicorn, so the ratio between them is the cost of our sign-up alone."""

from newsroom.settings import *  # noqa: F403
from newsroom.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.minimal"]
ROOT_URLCONF = "bench.urls"
