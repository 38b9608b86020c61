from django.apps import AppConfig
from django.core.signals import setting_changed


class DjangoFastAPIConfig(AppConfig):
    name = "django_fastapi"
    label = "django_fastapi"
    verbose_name = "Django FastAPI Bridge"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .application import clear_application_cache
        from .security.hosts import forget_accepted_hosts

        setting_changed.connect(clear_application_cache, dispatch_uid="django_fastapi_settings")
        setting_changed.connect(forget_accepted_hosts, dispatch_uid="django_fastapi_hosts")
