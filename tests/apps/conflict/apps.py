from django.apps import AppConfig


class ConflictConfig(AppConfig):
    """Serves under the same prefix as tests.apps.prefixed, so their paths collide."""

    name = "tests.apps.conflict"
    label = "conflict"
    fastapi_prefix = "custom"
