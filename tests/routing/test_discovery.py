import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_fastapi.application import build_application
from django_fastapi.routing.discovery import (
    RouterImportError,
    configured_mounts,
    discover,
    find_api_modules,
)
from tests.apps.hooks import routers as hook_routers

APPS = Path(__file__).resolve().parents[1] / "apps"
BASE = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.messages",
    "django_fastapi",
]


def installed(*apps: str) -> override_settings:
    return override_settings(INSTALLED_APPS=[*BASE, *(f"tests.apps.{app}" for app in apps)])


def mounted(*dotted: object) -> override_settings:
    return override_settings(FASTAPI_ROUTERS=list(dotted))


def test_find_api_modules_follows_installed_apps_order():
    with installed("rooted", "notes", "prefixed"):
        labels = [found.app_config.label for found in find_api_modules()]
    assert labels == ["messages", "rooted", "notes", "prefixed"]


def test_find_api_modules_order_changes_with_installed_apps():
    with installed("prefixed", "notes", "rooted"):
        labels = [found.app_config.label for found in find_api_modules()]
    assert labels == ["messages", "prefixed", "notes", "rooted"]


def test_discover_app_without_api_module_contributes_nothing():
    with installed("plain", "notes"):
        assert [mount.app_label for mount in discover()] == ["notes"]


def test_discover_skips_api_module_without_router():
    with installed("misnamed", "notes"):
        assert [mount.app_label for mount in discover()] == ["notes"]


def test_discover_broken_api_module_raises_router_import_error():
    with installed("broken"):
        with pytest.raises(RouterImportError) as excinfo:
            discover()
    message = str(excinfo.value)
    assert "'tests.apps.broken.api'" in message
    assert "ModuleNotFoundError: No module named 'tests.apps.broken.does_not_exist'" in message
    assert f"({APPS / 'broken' / 'api.py'}, line 3)" in message


def test_discover_broken_api_module_keeps_the_cause():
    with installed("broken"):
        with pytest.raises(RouterImportError) as excinfo:
            discover()
    assert isinstance(excinfo.value.__cause__, ModuleNotFoundError)


def test_discover_broken_api_module_is_improperly_configured():
    with installed("broken"):
        with pytest.raises(ImproperlyConfigured):
            build_application()


def test_discover_syntax_error_names_file_and_line_once():
    with installed("syntaxerror"):
        with pytest.raises(RouterImportError) as excinfo:
            discover()
    message = str(excinfo.value)
    assert "'tests.apps.syntaxerror.api'" in message
    assert "SyntaxError: '(' was never closed" in message
    assert f"({APPS / 'syntaxerror' / 'api.py'}, line 5)" in message
    assert message.count("line 5") == 1


def test_discover_api_module_raising_at_import_names_the_error():
    with installed("raising"):
        with pytest.raises(RouterImportError) as excinfo:
            discover()
    message = str(excinfo.value)
    assert "'tests.apps.raising.api'" in message
    assert "RuntimeError: raising.api failed at import" in message
    assert f"({APPS / 'raising' / 'api.py'}, line 5)" in message


def test_discover_error_says_what_to_do():
    with installed("raising"):
        with pytest.raises(RouterImportError, match="FASTAPI_AUTODISCOVER = False"):
            discover()


def test_discover_mounts_app_under_its_label():
    with installed("notes"):
        (mount,) = discover()
    assert (mount.prefix, mount.app_label, mount.source) == (
        "/notes",
        "notes",
        "tests.apps.notes.api.router",
    )


def test_discover_tags_default_to_app_label():
    with installed("notes"):
        (mount,) = discover()
    assert mount.tags == ["notes"]


def test_discover_appconfig_fastapi_prefix_replaces_label():
    with installed("prefixed"):
        (mount,) = discover()
    assert mount.prefix == "/custom"


def test_discover_appconfig_empty_prefix_mounts_at_api_root():
    with installed("rooted"):
        (mount,) = discover()
    assert mount.prefix == ""


def test_discover_appconfig_fastapi_tags_replace_label():
    with installed("rooted"):
        (mount,) = discover()
    assert mount.tags == ["root"]


def test_discover_custom_autodiscover_modules():
    with installed("custom_module", "notes"), override_settings(
        FASTAPI_AUTODISCOVER_MODULES=["endpoints"]
    ):
        mounts = discover()
    assert [(m.app_label, m.source) for m in mounts] == [
        ("custom_module", "tests.apps.custom_module.endpoints.router")
    ]


def test_discover_custom_module_ignored_by_default():
    with installed("custom_module"):
        assert discover() == []


def test_discover_autodiscover_false_disables_discovery():
    with installed("notes", "broken"), override_settings(FASTAPI_AUTODISCOVER=False):
        assert discover() == []


def test_discover_autodiscover_false_keeps_configured_routers():
    with installed("notes"), override_settings(FASTAPI_AUTODISCOVER=False), mounted(
        "tests.apps.hooks.routers.router"
    ):
        assert [m.router for m in discover()] == [hook_routers.router]


def test_discover_configured_routers_follow_autodiscovered_ones_in_order():
    with installed("notes"), mounted(
        {"router": "tests.apps.hooks.routers.second", "prefix": "/second"},
        {"router": "tests.apps.hooks.routers.router", "prefix": "/hooks", "tags": ["hooks"]},
    ):
        mounts = discover()
    assert [(m.source, m.prefix, m.tags) for m in mounts] == [
        ("tests.apps.notes.api.router", "/notes", ["notes"]),
        ("tests.apps.hooks.routers.second", "/second", []),
        ("tests.apps.hooks.routers.router", "/hooks", ["hooks"]),
    ]


def test_configured_mounts_default_prefix_is_api_root():
    with mounted("tests.apps.hooks.routers.router"):
        (mount,) = configured_mounts()
    assert mount.prefix == ""


def test_configured_mounts_router_inside_installed_app_tagged_with_its_label():
    with installed("custom_module"), mounted("tests.apps.custom_module.endpoints.router"):
        (mount,) = configured_mounts()
    assert (mount.app_label, mount.tags) == ("custom_module", ["custom_module"])


def test_configured_mounts_router_outside_apps_has_no_label_or_tags():
    with mounted("tests.apps.hooks.routers.router"):
        (mount,) = configured_mounts()
    assert (mount.app_label, mount.tags) == (None, [])


def test_configured_mounts_missing_attribute_raises_naming_it():
    with mounted("tests.apps.hooks.routers.missing"):
        with pytest.raises(
            RouterImportError,
            match=re.escape("FASTAPI_ROUTERS lists 'tests.apps.hooks.routers.missing'"),
        ):
            configured_mounts()


def test_configured_mounts_missing_module_raises_naming_it():
    with mounted("tests.apps.nowhere.router"):
        with pytest.raises(RouterImportError, match="No module named 'tests.apps.nowhere'"):
            configured_mounts()


def test_configured_mounts_not_a_router_raises_naming_its_type():
    with mounted("tests.apps.hooks.routers.NOT_A_ROUTER"):
        with pytest.raises(RouterImportError, match="which is int, not a fastapi.APIRouter"):
            configured_mounts()


def test_discover_changes_no_global_state():
    with installed("notes"):
        first = discover()
        second = discover()
    assert first == second
    assert first is not second
