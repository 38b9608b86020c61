"""WSGI entry point for the Django side of the site (admin)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_site.settings")

application = get_wsgi_application()
