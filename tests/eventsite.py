"""Settings for runfastapi servers in the events tests: the sample site plus tests/apps/live's routes.

The backend comes from the sample site's EVENTS_BACKEND, EVENTS_URL and EVENTS_CHANNEL variables.
"""

from sample_site.settings import *  # noqa: F403

FASTAPI_ROUTERS = [{"router": "tests.apps.live.routers.router", "prefix": "/live"}]
