"""The sample site's settings for bench/events.py: room for 5,000 streams and websockets on one
worker."""

from sample_site.settings import *  # noqa: F403

FASTAPI_MAX_STREAMS = 10_000
FASTAPI_MAX_WEBSOCKETS = 10_000
