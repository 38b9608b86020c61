"""gunicorn settings for the bridge: ``gunicorn django_fastapi.asgi:application -c deploy/gunicorn.conf.py``.

uvicorn's workers (the uvicorn-worker package) run the ASGI application; DJANGO_SETTINGS_MODULE
says which project. With metrics (FASTAPI_METRICS_URL) set PROMETHEUS_MULTIPROC_DIR to an empty
directory that every worker can write: the hook below drops the live gauges of a worker that ends.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "uvicorn_worker.UvicornWorker"
# Recycle workers now and then (as runfastapi --max-requests does), not all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
# In-flight requests get this long after SIGTERM (FASTAPI_GRACEFUL_TIMEOUT under runfastapi).
graceful_timeout = 30
# The bridge writes one line per request (django_fastapi.server); gunicorn's would repeat it.
accesslog = None
# Behind nginx on the same host: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
