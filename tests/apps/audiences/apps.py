from django.apps import AppConfig


class AudiencesConfig(AppConfig):
    name = "tests.apps.audiences"
    label = "audiences"
