"""FASTAPI_ON_STARTUP and FASTAPI_ON_SHUTDOWN, run by the ASGI lifespan once per worker.

In-process the app's lifespan is entered and left directly (tests/apps/web/hooks.py records what
ran); then real runfastapi servers, one and two workers, write to a file from the project's hooks.
"""

import asyncio
import logging
import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_fastapi.application import build_application, get_application
from tests.apps.web import hooks
from tests.projects import one_server_project
from tests.serverproc import ServerProcess

HOOKS = "tests.apps.web.hooks."


@pytest.fixture(autouse=True)
def clear_events():
    hooks.events.clear()
    hooks.connections_used.clear()


def names() -> list[str]:
    return [name for name, _ in hooks.events]


def run_lifespan(while_serving=lambda: None) -> None:
    """Start the app's lifespan, call ``while_serving()``, shut down."""
    app = get_application()

    async def lifespan():
        async with app.router.lifespan_context(app):
            while_serving()

    asyncio.run(lifespan())


def test_hooks_startup_run_in_order_before_serving(settings):
    settings.FASTAPI_ON_STARTUP = [HOOKS + "sync_startup", HOOKS + "async_startup"]
    serving = []
    run_lifespan(lambda: serving.append(names()))
    assert serving == [["sync_startup", "async_startup"]]


def test_hooks_shutdown_run_in_order_after_serving(settings):
    settings.FASTAPI_ON_SHUTDOWN = [HOOKS + "async_shutdown", HOOKS + "sync_shutdown"]
    serving = []
    run_lifespan(lambda: serving.append(names()))
    assert serving == [[]]
    assert names() == ["async_shutdown", "sync_shutdown"]


def test_hooks_sync_hook_runs_on_a_thread_of_its_own(settings):
    settings.FASTAPI_ON_STARTUP = [HOOKS + "sync_startup"]
    run_lifespan()
    assert hooks.events[0][1].startswith("django_fastapi-hooks")


def test_hooks_database_connections_closed_after_the_hooks(settings, transactional_db):
    settings.FASTAPI_ON_STARTUP = [HOOKS + "uses_database"]
    open_while_serving = []
    run_lifespan(lambda: open_while_serving.append(hooks.connections_used[0].connection is not None))
    assert open_while_serving == [False]


def test_hooks_startup_failure_stops_startup(settings):
    settings.FASTAPI_ON_STARTUP = [HOOKS + "failing", HOOKS + "sync_startup"]
    serving = []
    with pytest.raises(RuntimeError, match="the cache server is down"):
        run_lifespan(lambda: serving.append(True))
    assert serving == []
    assert names() == ["failing"]


def test_hooks_shutdown_failure_logged_and_the_rest_still_run(settings, caplog):
    settings.FASTAPI_ON_SHUTDOWN = [HOOKS + "failing", HOOKS + "sync_shutdown"]
    run_lifespan()
    assert names() == ["failing", "sync_shutdown"]
    (record,) = [r for r in caplog.records if r.name == "django_fastapi"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == f"Shutdown hook {HOOKS}failing failed."
    assert record.exc_info[0] is RuntimeError


def test_hooks_not_importable_fails_the_build_naming_the_setting(settings):
    settings.FASTAPI_ON_STARTUP = [HOOKS + "missing"]
    with pytest.raises(ImproperlyConfigured, match=f"FASTAPI_ON_STARTUP lists '{HOOKS}missing', which could not"):
        build_application()


def test_hooks_not_callable_fails_the_build(settings):
    settings.FASTAPI_ON_SHUTDOWN = [HOOKS + "NOT_CALLABLE"]
    with pytest.raises(ImproperlyConfigured, match="which is int, not a function"):
        build_application()


# Real servers: the project's hooks append "<event> <pid>" to HOOKS_LOG.


def served_and_stopped(tmp_path_factory, *args: str) -> tuple[list[str], list[str]]:
    """The hook log while serving, and after the server stopped."""
    log = tmp_path_factory.mktemp("hooks") / "hooks.log"
    proc = ServerProcess.runfastapi(*args, cwd=one_server_project(tmp_path_factory), env={"HOOKS_LOG": str(log)})
    with proc:
        time.sleep(0.5)  # let every worker finish starting up
        serving = log.read_text().splitlines()
    return serving, log.read_text().splitlines()


@pytest.mark.server
@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
def test_runfastapi_hooks_run_once(server, tmp_path_factory):
    serving, stopped = served_and_stopped(tmp_path_factory, "--server", server)
    (pid,) = {line.split()[1] for line in stopped}
    assert serving == [f"startup {pid}"]
    assert stopped == [f"startup {pid}", f"shutdown {pid}"]


@pytest.mark.server
@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
def test_runfastapi_hooks_run_once_per_worker(server, tmp_path_factory):
    _, stopped = served_and_stopped(tmp_path_factory, "--server", server, "--workers", "2")
    started = sorted(line.split()[1] for line in stopped if line.startswith("startup"))
    shut_down = sorted(line.split()[1] for line in stopped if line.startswith("shutdown"))
    assert len(set(started)) == 2
    assert shut_down == started
