from django.urls import path

from newsroom.urls import urlpatterns as site

from .minimal import views

urlpatterns = [path("minimal/subscribe/", views.subscribe), *site]
