from django.apps import AppConfig


class CatchAllConfig(AppConfig):
    name = "tests.apps.catchall"
    label = "catchall"
    fastapi_prefix = ""
