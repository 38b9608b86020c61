from django.apps import AppConfig


class PlainConfig(AppConfig):
    name = "tests.apps.plain"
    label = "plain"
