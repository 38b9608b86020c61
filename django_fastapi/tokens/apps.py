from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "django_fastapi.tokens"
    label = "django_fastapi_tokens"
    verbose_name = "API tokens"
    default_auto_field = "django.db.models.BigAutoField"
