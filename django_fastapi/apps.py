from importlib import import_module

from django.apps import AppConfig
from django.core.signals import setting_changed

# Each subsystem's system checks, registered when its module is imported.
CHECK_MODULES = (
    "checks", "core.checks", "routing.checks", "server.checks", "security.checks", "openapi.checks", "events.checks",
    "tokens.checks", "operations.checks",
)


class DjangoFastAPIConfig(AppConfig):
    name = "django_fastapi"
    label = "django_fastapi"
    verbose_name = "Django FastAPI Bridge"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: this module is imported while the app registry is being
        # populated, before the models the API modules use can be imported.
        from .application import clear_application_cache
        from .security.hosts import forget_accepted_hosts

        for module in CHECK_MODULES:
            import_module(f"{self.name}.{module}")
        setting_changed.connect(clear_application_cache, dispatch_uid="django_fastapi_settings")
        setting_changed.connect(forget_accepted_hosts, dispatch_uid="django_fastapi_hosts")
