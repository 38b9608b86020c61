from django.apps import AppConfig


class PrefixedConfig(AppConfig):
    name = "tests.apps.prefixed"
    label = "prefixed"
    fastapi_prefix = "custom"
