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
    path("dev/mailbox/<str:name>/html/", views.DevMailHTML.as_view(), name="dev_mail_html"),
    path("", include("subscriptions.urls")),
    path("", include("editions.urls")),
    # Provider webhooks (inbound mail for mailto: unsubscribes, and tracking events): anymail's
    # views, guarded so no body or event makes them answer 500 or lose the rest of a batch.
    path("anymail/", include("newsroom.webhooks")),
    path(settings.ADMIN_URL, admin.site.urls),
]
