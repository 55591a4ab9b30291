from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.article, name="article"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("dev/mailbox/", views.dev_mailbox, name="dev_mailbox"),
    path("", include("subscriptions.urls")),
    # Provider webhooks: inbound mail (mailto: unsubscribes) and, later, tracking events.
    path("anymail/", include("anymail.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]
