from django.apps import AppConfig


class RootedConfig(AppConfig):
    name = "tests.apps.rooted"
    label = "rooted"
    fastapi_prefix = ""
    fastapi_tags = ["root"]
