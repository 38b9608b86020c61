"""django-bolt serving the seed endpoint from the sample site's database, for bench/run.py.

The sample site's settings decide the database (SQLite file or PostgreSQL, pool, CONN_MAX_AGE),
so django-bolt reads the same rows under the same connection settings as the bridge. Only what
django-bolt needs is installed: the sample site's own apps need the bridge, which this
interpreter (Python 3.12+, a virtualenv of its own) does not have.
"""

from sample_site.settings import DATABASES, SECRET_KEY, TIME_ZONE, USE_TZ  # noqa: F401

DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django_bolt"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "boltsite.urls"
BOLT_API = ["boltsite.api:api"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
DJANGO_BOLT_LOG_LEVEL = "WARNING"  # no line per request, as the other targets
