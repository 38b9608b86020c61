"""tests.settings plus the FASTAPI_* values a test passes in DJANGO_FASTAPI_TEST_SETTINGS (JSON)."""

import json
import os

from tests.settings import *

globals().update(json.loads(os.environ.get("DJANGO_FASTAPI_TEST_SETTINGS", "{}")))
