"""The sample site with a second PostgreSQL database, for tests/core/test_postgres_lifecycle.py.

Environment variables, besides the sample site's:
    OTHER_DATABASE_URL  the "other" database (configured like DATABASE_URL: pool or CONN_MAX_AGE).
    ATOMIC_REQUESTS     "1" turns ATOMIC_REQUESTS on for both databases.
"""

import os

from sample_site.settings import *  # noqa: F403
from sample_site.settings import DATABASES, INSTALLED_APPS, database_from_url

INSTALLED_APPS = [*INSTALLED_APPS, "tests.pgsite.probe"]

DATABASES = {
    **DATABASES,
    "other": database_from_url(
        os.environ["OTHER_DATABASE_URL"], pool=os.environ.get("DATABASE_POOL", "1") != "0"
    ),
}
for config in DATABASES.values():
    config["ATOMIC_REQUESTS"] = os.environ.get("ATOMIC_REQUESTS") == "1"
