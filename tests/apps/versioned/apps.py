from django.apps import AppConfig


class VersionedConfig(AppConfig):
    name = "tests.apps.versioned"
    label = "versioned"
    fastapi_prefix = "orders"
    fastapi_versions = ["v1", "v2"]
