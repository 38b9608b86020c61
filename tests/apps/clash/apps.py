from django.apps import AppConfig


class ClashConfig(AppConfig):
    name = "tests.apps.clash"
    label = "clash"
