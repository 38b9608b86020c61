from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "tests.apps.notes"
    label = "notes"
