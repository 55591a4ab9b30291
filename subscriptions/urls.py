from django.urls import path

from .web import list_views, preference_views, test_links, views

app_name = "subscriptions"
urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/form-token", views.form_token, name="form_token"),
    path("newsletters/<slug:slug>/", list_views.newsletter, name="newsletter"),
    path("confirm/", views.confirm, name="confirm"),
    path("confirm/resend/", views.confirm_resend, name="confirm_resend"),
    path("confirm/<str:token>/", views.confirm_link, name="confirm_link"),
    path("unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<str:token>/", views.unsubscribe_link, name="unsubscribe_link"),
    path("test-link/<str:token>/", test_links.test_link, name="test_link"),
    path("preferences/", preference_views.preferences, name="preferences"),
    path("preferences/<str:token>/", preference_views.preferences_link, name="preferences_link"),
    path("your-data/", preference_views.data_export, name="data_export"),
    path(
        "your-data/download/",
        preference_views.data_export_download,
        name="data_export_download",
    ),
    path("your-data/<str:token>/", preference_views.data_export_link, name="data_export_link"),
]
