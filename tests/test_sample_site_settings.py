"""The sample site refuses to run without DEBUG on its public SECRET_KEY (its demo token derives from it)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.serverproc import SAMPLE_SITE

PRINT_KEY = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"


def run_sample(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DJANGO_DEBUG")}
    return subprocess.run(
        [sys.executable, *args], cwd=SAMPLE_SITE, capture_output=True, text=True, timeout=60,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "sample_site.settings", **env},
    )


def test_sample_site_without_debug_refuses_public_secret_key():
    done = run_sample(["manage.py", "runfastapi", "--noreload", "127.0.0.1:0"], DJANGO_DEBUG="0")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "default SECRET_KEY is public" in done.stderr and "set SECRET_KEY" in done.stderr


def test_sample_site_without_debug_starts_with_own_secret_key():
    done = run_sample(["-c", PRINT_KEY], DJANGO_DEBUG="0", SECRET_KEY="my-own-key")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "my-own-key"


def test_sample_site_debug_default_keeps_public_key_for_development():
    """What ``scripts/dev.py run`` does: DEBUG on (the default), no SECRET_KEY set."""
    done = run_sample(["-c", PRINT_KEY])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("django-insecure-")
