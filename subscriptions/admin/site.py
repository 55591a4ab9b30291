"""The admin's header and titles name the site (SITE_NAME), not "Django administration".

Lazy: SITE_NAME is read when a page is rendered, as every app setting is read when used."""

from django.contrib import admin
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..app_settings import app_settings


def _site_name() -> str:
    return app_settings.SITE_NAME


site_name = lazy(_site_name, str)()

admin.site.site_header = site_name
admin.site.site_title = format_lazy(_("{site} admin"), site=site_name)
admin.site.index_title = format_lazy(_("{site}: newsletters and subscribers"), site=site_name)
