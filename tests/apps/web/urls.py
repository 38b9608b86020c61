from django.urls import path

from . import views

urlpatterns = [
    path("", views.home),
    path("api/web/hello", views.hello_from_django),
    path("api/legacy/", views.legacy),
]
