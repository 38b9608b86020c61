from django.apps import AppConfig
from django.core.signals import setting_changed


class DjangoFastAPIConfig(AppConfig):
    name = "django_fastapi"
    label = "django_fastapi"
    verbose_name = "Django FastAPI Bridge"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: this module is imported while the app registry is being
        # populated, before the models the API modules use can be imported.
        from . import checks  # noqa: F401  (each checks module registers its system checks)
        from .application import clear_application_cache
        from .core import checks as core_checks  # noqa: F401
        from .openapi import checks as openapi_checks  # noqa: F401
        from .routing import checks as routing_checks  # noqa: F401
        from .security import checks as security_checks  # noqa: F401
        from .security.hosts import forget_accepted_hosts
        from .server import checks as server_checks  # noqa: F401

        setting_changed.connect(clear_application_cache, dispatch_uid="django_fastapi_settings")
        setting_changed.connect(forget_accepted_hosts, dispatch_uid="django_fastapi_hosts")
