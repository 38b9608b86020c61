from django.urls import include, path

from . import views

# Included twice over and with a converter, /api/web/notes/<int:pk> meets the API's /notes/{pk}.
notes_patterns = [path("notes/<int:pk>", views.home), path("notes/<int:pk>/", views.home)]

urlpatterns = [
    path("", views.home),
    path("api/", include([path("web/", include(notes_patterns))])),
]
