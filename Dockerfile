# The sample site (or, with your own project copied in, any project) on runfastapi, built from this
# repository: docker build -t django-fastapi-bridge . ; see compose.yaml and docs/production.rst.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_DEBUG=0

WORKDIR /app
COPY setup.cfg pyproject.toml README.rst LICENSE ./
COPY django_fastapi ./django_fastapi
RUN pip install ".[uvicorn,metrics]" "psycopg[binary,pool]>=3.2" "redis>=5"
COPY sample_site ./sample_site

WORKDIR /app/sample_site
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v0 \
    && useradd --system --uid 10001 web \
    && mkdir -p /tmp/metrics && chown web /tmp/metrics
USER web

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=2)"]
# Two workers per container; each is replaced after about 10000 requests or above 512 MiB.
CMD ["python", "manage.py", "runfastapi", "0.0.0.0:8000", "--workers", "2", "--noreload", \
     "--proxy-headers", "--forwarded-allow-ips", "*", \
     "--max-requests", "10000", "--max-requests-jitter", "1000", "--max-rss", "512"]
