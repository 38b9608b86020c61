from django.test import override_settings

from django_fastapi.application import build_application, get_application
from django_fastapi.routing.routes import (
    RouteInfo,
    filter_routes,
    format_table,
    route_conflicts,
    route_table,
)

BASE = ["django.contrib.contenttypes", "django.contrib.auth", "django_fastapi"]
DOCS = [
    "/api/docs-assets/{path:path}", "/api/openapi.json", "/api/docs", "/api/docs/oauth2-redirect", "/api/redoc",
    "/api/health", "/api/ready",  # the bridge's own routes, the probes included (docs/production.rst)
]


def installed(*apps: str) -> override_settings:
    return override_settings(INSTALLED_APPS=[*BASE, *(f"tests.apps.{app}" for app in apps)])


def user_routes(table: list[RouteInfo]) -> list[RouteInfo]:
    return [route for route in table if route.path not in DOCS]


def test_route_table_lists_docs_and_app_routes():
    with installed("notes"):
        paths = [route.path for route in route_table(get_application())]
    assert paths == [
        *DOCS,
        "/api/notes/notes",
        "/api/notes/notes",
        "/api/notes/async/notes",
        "/api/notes/async/notes",
        "/api/notes/notes/then-fail",
        "/api/notes/async/notes/then-fail",
        "/api/notes/thread",
    ]


def test_route_table_describes_each_route():
    with installed("prefixed", "rooted"):
        table = user_routes(route_table(get_application()))
    assert table == [
        RouteInfo(
            ["GET"],
            "/api/custom/hello",
            "hello",
            "tests.apps.prefixed.api.hello",
            "prefixed",
            False,
        ),
        RouteInfo(
            ["GET"],
            "/api/custom/items/{item_id}",
            "get_item",
            "tests.apps.prefixed.api.get_item",
            "prefixed",
            False,
        ),
        RouteInfo(["GET"], "/api/ping", "ping", "tests.apps.rooted.api.ping", "rooted", True),
        RouteInfo(["WEBSOCKET"], "/api/ws", "echo", "tests.apps.rooted.api.echo", "rooted", True),
    ]


def test_route_table_sync_endpoint_reported_sync_although_served_async():
    (route,) = [r for r in route_table(get_application()) if r.name == "list_notes"]
    assert route.endpoint == "tests.apps.notes.api.list_notes"
    assert route.is_async is False


def test_route_table_async_endpoint_reported_async():
    (route,) = [r for r in route_table(get_application()) if r.name == "list_notes_async"]
    assert route.is_async is True


def test_route_table_docs_routes_have_no_app():
    table = route_table(get_application())
    assert {route.app for route in table if route.path in DOCS} == {None}


def test_route_table_methods_sorted():
    (route,) = [r for r in route_table(get_application()) if r.path == "/api/openapi.json"]
    assert route.methods == ["GET", "HEAD"]


def test_route_table_order_stable_across_builds():
    with installed("prefixed", "rooted", "notes"):
        first = route_table(build_application())
        second = route_table(build_application())
    assert first == second


def test_route_table_follows_installed_apps_order():
    with installed("rooted", "prefixed"):
        apps = [route.app for route in user_routes(route_table(get_application()))]
    assert apps == ["rooted", "rooted", "prefixed", "prefixed"]


def test_route_table_configured_router_has_label_of_its_app():
    with installed("custom_module"), override_settings(
        FASTAPI_ROUTERS=[{"router": "tests.apps.custom_module.endpoints.router", "prefix": "/x"}]
    ):
        (route,) = user_routes(route_table(get_application()))
    assert (route.path, route.app, route.endpoint) == (
        "/api/x/endpoint",
        "custom_module",
        "tests.apps.custom_module.endpoints.endpoint",
    )


def test_route_table_configured_router_outside_apps_has_no_label():
    with installed(), override_settings(FASTAPI_ROUTERS=["tests.apps.hooks.routers.second"]):
        (route,) = user_routes(route_table(get_application()))
    assert (route.path, route.app, route.is_async) == ("/api/second", None, True)


def test_route_table_as_dict_keys():
    (route,) = [r for r in route_table(get_application()) if r.name == "which_thread"]
    assert route.as_dict() == {
        "methods": ["GET"],
        "path": "/api/notes/thread",
        "name": "which_thread",
        "endpoint": "tests.apps.notes.api.which_thread",
        "app": "notes",
        "is_async": False,
    }


def test_filter_routes_by_app():
    with installed("prefixed", "rooted"):
        table = filter_routes(route_table(get_application()), app="rooted")
    assert [route.name for route in table] == ["ping", "echo"]


def test_filter_routes_by_method_case_insensitive():
    with installed("notes"):
        table = filter_routes(route_table(get_application()), method="post")
    assert [route.name for route in table] == [
        "create_note",
        "create_note_async",
        "create_then_fail",
        "create_then_fail_async",
    ]


def test_format_table_has_header_and_one_line_per_route():
    with installed("rooted"):
        lines = format_table(user_routes(route_table(get_application()))).splitlines()
    assert lines[0].split() == ["METHODS", "PATH", "NAME", "ENDPOINT", "APP", "SYNC/ASYNC"]
    assert lines[1].split() == [
        "GET", "/api/ping", "ping", "tests.apps.rooted.api.ping", "rooted", "async"
    ]
    assert lines[2].split() == [
        "WEBSOCKET", "/api/ws", "echo", "tests.apps.rooted.api.echo", "rooted", "async"
    ]


def test_format_table_columns_aligned():
    with installed("prefixed", "rooted"):
        lines = format_table(route_table(get_application())).splitlines()
    starts = {line.index("/api/") for line in lines[1:]}
    assert starts == {lines[0].index("PATH")}


def test_route_conflicts_none_for_test_settings():
    assert route_conflicts() == []


def test_route_conflicts_same_method_and_path_in_two_apps():
    with installed("prefixed", "conflict"):
        conflicts = route_conflicts()
    assert (
        "GET",
        "/api/custom/hello",
        "tests.apps.prefixed.api.hello",
        "tests.apps.conflict.api.hello_again",
    ) in conflicts


def test_route_conflicts_path_parameters_with_different_names():
    with installed("prefixed", "conflict"):
        conflicts = route_conflicts()
    assert (
        "GET",
        "/api/custom/items/{pk}",
        "tests.apps.prefixed.api.get_item",
        "tests.apps.conflict.api.get_item_by_pk",
    ) in conflicts


def test_route_conflicts_ignore_other_methods_on_same_path():
    with installed("prefixed", "conflict"):
        conflicts = route_conflicts()
    assert [(method, path) for method, path, _, _ in conflicts] == [
        ("GET", "/api/custom/hello"),
        ("GET", "/api/custom/items/{pk}"),
    ]


def test_route_conflicts_none_when_apps_have_distinct_prefixes():
    with installed("prefixed", "rooted", "notes"):
        assert route_conflicts() == []


PREFIXED_AGAIN = {"router": "tests.apps.prefixed.api.router", "prefix": "/custom"}


def test_route_conflicts_same_endpoint_mounted_twice_is_not_a_conflict():
    with installed("prefixed"), override_settings(FASTAPI_ROUTERS=[PREFIXED_AGAIN]):
        assert route_conflicts() == []


def test_route_conflicts_configured_router_against_app():
    with installed("conflict"), override_settings(FASTAPI_ROUTERS=[PREFIXED_AGAIN]):
        conflicts = route_conflicts()
    assert [(path, first, second) for _, path, first, second in conflicts] == [
        (
            "/api/custom/hello",
            "tests.apps.conflict.api.hello_again",
            "tests.apps.prefixed.api.hello",
        ),
        (
            "/api/custom/items/{item_id}",
            "tests.apps.conflict.api.get_item_by_pk",
            "tests.apps.prefixed.api.get_item",
        ),
    ]
