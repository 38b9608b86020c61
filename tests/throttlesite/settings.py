"""The sample site with throttling in Redis, for the multi-worker test in tests/security/test_throttling.py.

Environment variables, besides the sample site's:
    THROTTLE_REDIS_URL   the Redis server of the cache
    THROTTLE_KEY_PREFIX  a key prefix of the test's own, so that runs do not share counts
"""

import os

from sample_site.settings import *  # noqa: F403
from sample_site.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.throttlesite.limited"]

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["THROTTLE_REDIS_URL"],
        "KEY_PREFIX": os.environ["THROTTLE_KEY_PREFIX"],
    }
}
# The test says who the client is through X-Forwarded-For, as one trusted proxy would.
FASTAPI_NUM_PROXIES = 1
