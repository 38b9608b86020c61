"""Sphinx configuration of the django-fastapi-bridge reference.

Build:    python -m sphinx -W -b html docs docs/_build/html
Snippets: python -m sphinx -W -b doctest docs docs/_build/doctest
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "sample_site"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

# The doctest builder runs the snippets against the test suite's settings (SQLite in memory).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import django_fastapi  # noqa: E402

project = "Django FastAPI Bridge"
author = "django-fastapi-bridge contributors"
copyright = "django-fastapi-bridge contributors"
release = django_fastapi.__version__
version = ".".join(release.split(".")[:2])

extensions = ["sphinx.ext.doctest"]

exclude_patterns = ["_build"]
root_doc = "index"

html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = f"{project} {release}"

# Every testcode block runs with Django set up (above) and these names at hand.
doctest_global_setup = """
from django.test import override_settings
from django_fastapi.conf import api_settings
"""
