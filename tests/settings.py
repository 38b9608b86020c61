import os
import sys
from pathlib import Path

# The sample site's domain app (catalog) is installed here too: the model batteries are tested on it.
SAMPLE_SITE = str(Path(__file__).resolve().parent.parent / "sample_site")
if SAMPLE_SITE not in sys.path:
    sys.path.append(SAMPLE_SITE)

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "tests.urls"
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_fastapi",
    "django_fastapi.tokens",
    "drf_spectacular_sidecar",
    "tests.apps.notes",
    "tests.apps.owned",
    "tests.apps.plain",
    "catalog",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_FASTAPI_TEST_SQLITE", ":memory:"),
    }
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.contrib.auth.context_processors.auth"]},
    }
]
