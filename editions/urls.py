from django.urls import path

from . import views

app_name = "editions"
urlpatterns = [
    path("editions/<int:pk>/", views.web_version, name="web_version"),
]
