from catalog.views import home, live
from django.contrib import admin
from django.urls import path

# The API (/api/...) is served beside these by runfastapi and django_fastapi.asgi.
urlpatterns = [
    path("", home, name="home"),
    path("live/", live, name="live"),
    path("admin/", admin.site.urls),
]
