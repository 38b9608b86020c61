from django.apps import AppConfig


class SecureConfig(AppConfig):
    name = "tests.apps.secure"
    label = "secure"
