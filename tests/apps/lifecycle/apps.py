from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "tests.apps.lifecycle"
    label = "lifecycle"
