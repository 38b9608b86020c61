from django.apps import AppConfig


class OwnedConfig(AppConfig):
    name = "tests.apps.owned"
    label = "owned"
    default_auto_field = "django.db.models.BigAutoField"
