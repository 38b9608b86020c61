import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

SAMPLE_SITE = Path(__file__).resolve().parent.parent / "sample_site"
BASE = ["django.contrib.contenttypes", "django.contrib.auth", "django_fastapi"]


def installed(*apps: str) -> override_settings:
    return override_settings(INSTALLED_APPS=[*BASE, *(f"tests.apps.{app}" for app in apps)])


def run(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("fastapi_routes", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_fastapi_routes_table_has_columns_header():
    out, _ = run()
    header = out.splitlines()[0].split()
    assert header == ["METHODS", "PATH", "NAME", "ENDPOINT", "APP", "SYNC/ASYNC"]


def test_fastapi_routes_table_lists_app_routes():
    with installed("rooted"):
        out, _ = run()
    rows = [line.split() for line in out.splitlines()]
    assert ["GET", "/api/ping", "ping", "tests.apps.rooted.api.ping", "rooted", "async"] in rows
    assert ["WEBSOCKET", "/api/ws", "echo", "tests.apps.rooted.api.echo", "rooted", "async"] in rows


def test_fastapi_routes_table_writes_nothing_to_stderr():
    _, err = run()
    assert err == ""


def test_fastapi_routes_json_is_a_list_of_route_objects():
    out, _ = run("--format", "json")
    routes = json.loads(out)
    assert routes and all(
        set(route) == {"methods", "path", "name", "endpoint", "app", "is_async"} for route in routes
    )


def test_fastapi_routes_json_describes_a_route():
    out, _ = run("--format", "json")
    (route,) = [route for route in json.loads(out) if route["name"] == "create_note_async"]
    assert route == {
        "methods": ["POST"],
        "path": "/api/notes/async/notes",
        "name": "create_note_async",
        "endpoint": "tests.apps.notes.api.create_note_async",
        "app": "notes",
        "is_async": True,
    }


def test_fastapi_routes_format_rejects_unknown_choice():
    with pytest.raises(CommandError, match="invalid choice: 'yaml'"):
        run("--format", "yaml")


def test_fastapi_routes_app_filters_by_label():
    with installed("prefixed", "rooted"):
        out, _ = run("--format", "json", "--app", "prefixed")
    assert [route["name"] for route in json.loads(out)] == ["hello", "get_item"]


def test_fastapi_routes_unknown_app_lists_known_labels():
    with installed("prefixed", "rooted"):
        with pytest.raises(CommandError) as excinfo:
            run("--app", "nope")
    assert str(excinfo.value) == "No routes from app 'nope'. Apps with routes: prefixed, rooted."


def test_fastapi_routes_method_filters_routes():
    out, _ = run("--format", "json", "--method", "GET")
    routes = json.loads(out)
    assert routes and all("GET" in route["methods"] for route in routes)
    assert "create_note" not in {route["name"] for route in routes}


def test_fastapi_routes_method_and_app_combine():
    with installed("prefixed", "conflict"):
        out, _ = run("--format", "json", "--app", "conflict", "--method", "post")
    assert [route["name"] for route in json.loads(out)] == ["post_hello"]


def test_fastapi_routes_openapi_to_stdout_is_only_json():
    with override_settings(FASTAPI_TITLE="Schema test"):
        out, err = run("--openapi")
    assert json.loads(out)["info"]["title"] == "Schema test"
    assert err == ""


def test_fastapi_routes_openapi_lists_app_paths():
    with installed("rooted"):
        out, _ = run("--openapi")
    assert list(json.loads(out)["paths"]) == ["/api/ping"]


def test_fastapi_routes_openapi_output_is_deterministic():
    assert run("--openapi")[0] == run("--openapi")[0]


def test_fastapi_routes_openapi_output_writes_file(tmp_path):
    target = tmp_path / "schema.json"
    out, err = run("--openapi", "--output", str(target))
    assert json.loads(target.read_text(encoding="utf-8"))["openapi"].startswith("3.")
    assert out == ""
    assert str(target) in err


def test_fastapi_routes_openapi_output_note_counts_bytes(tmp_path):
    target = tmp_path / "schema.json"
    with override_settings(FASTAPI_TITLE="Café API"):
        _, err = run("--openapi", "--output", str(target))
    assert f"({target.stat().st_size} bytes)" in err


def test_fastapi_routes_output_without_openapi_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="--output goes with --openapi"):
        run("--output", str(tmp_path / "schema.json"))
    assert not (tmp_path / "schema.json").exists()


def test_fastapi_routes_subprocess_lists_sample_site_routes():
    # manage.py only sets DJANGO_SETTINGS_MODULE when unset, and pytest-django has set it.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "fastapi_routes", "--format", "json"],
        cwd=SAMPLE_SITE,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    routes = {route["path"]: route for route in json.loads(result.stdout)}
    assert routes["/api/benchmark/permissions"]["app"] == "benchmark"
    assert routes["/api/benchmark/permissions"]["endpoint"] == "benchmark.api.list_permissions"
