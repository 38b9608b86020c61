"""System checks of runfastapi's server: installed, and given options it knows."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from ..conf import api_settings
from .servers import SERVERS, ServerNotInstalled, unknown_options

# The test suite asserts each id is unique and documented.
E004 = "django_fastapi.E004"  # configured server not installed
E005 = "django_fastapi.E005"  # unknown server option


@checks.register("django_fastapi")
def check_server(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        server = api_settings.SERVER
        options = api_settings.SERVER_OPTIONS
    except ImproperlyConfigured:
        return []
    messages: list[checks.CheckMessage] = []
    if server is not None:
        try:
            SERVERS[server].require()
        except ServerNotInstalled as exc:
            messages.append(checks.Error(str(exc), hint=exc.hint, id=E004))
    for name, server_options in options.items():
        if not SERVERS[name].is_installed():
            continue  # options for a server this environment does not use
        unknown = unknown_options(name, server_options)
        if unknown:
            messages.append(
                checks.Error(
                    f"FASTAPI_SERVER_OPTIONS[{name!r}] has unknown {name} options: {', '.join(unknown)}.",
                    hint=f"Use option names of {name}'s configuration (see its documentation).",
                    id=E005,
                )
            )
    return messages
