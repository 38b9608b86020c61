"""The sample site as one of two hosts behind a balancer, for tests/operations/test_two_hosts.py.

Both hosts share PostgreSQL (DATABASE_URL, sessions in the database) and Redis (the cache, hence
throttling). Environment variables, besides the sample site's:
    OPS_REDIS_URL     the Redis server of the cache (the test's own)
    OPS_KEY_PREFIX    a key prefix of the test's own, so that runs do not share counts
"""

import os

from sample_site.settings import *  # noqa: F403

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["OPS_REDIS_URL"],
        "KEY_PREFIX": os.environ["OPS_KEY_PREFIX"],
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
FASTAPI_THROTTLE_RATES = {"login": "4/min"}
# The balancer says who the client is through X-Forwarded-For.
FASTAPI_NUM_PROXIES = 1
