"""ASGI wrapper for run.py's thread check, never for timed runs.

Records the name of every thread that runs a database query, per request path, and serves them as
JSON at ``/__bench__/threads``. ``BENCH_PROBE_TARGET`` picks the app: ``bridge`` or ``handglued``.
"""

import contextvars
import json
import os
import threading

if os.environ["BENCH_PROBE_TARGET"] == "bridge":
    from django_fastapi.asgi import application as inner
else:
    from handglued.app import app as inner

from django.db.backends import utils  # noqa: E402

_path: contextvars.ContextVar[str | None] = contextvars.ContextVar("bench_path", default=None)
_seen: dict[str, dict[str, int]] = {}
_lock = threading.Lock()
_execute = utils.CursorWrapper._execute


def _recording_execute(self, *args, **kwargs):
    # asgiref's sync_to_async and anyio's run_sync both copy the context, so the path set by
    # the request's task is visible on whichever thread runs the query.
    path = _path.get()
    if path is not None:
        thread = threading.current_thread()
        name = f"{thread.name} [{thread.native_id}]"
        with _lock:
            counts = _seen.setdefault(path, {})
            counts[name] = counts.get(name, 0) + 1
    return _execute(self, *args, **kwargs)


utils.CursorWrapper._execute = _recording_execute


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/__bench__/threads":
        with _lock:
            body = json.dumps(_seen).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
        return
    token = _path.set(scope.get("path"))
    try:
        await inner(scope, receive, send)
    finally:
        _path.reset(token)
