# The clinic scheduler image: one image for the web app, the Celery worker and beat,
# Flower and the migrations (docker-compose.yml picks the command per service).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production \
    INSTANCE_PATH=/tmp/instance

RUN groupadd --system --gid 10001 clinic \
    && useradd --system --uid 10001 --gid clinic --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin clinic

# The locked runtime dependencies first (hashes checked), in a layer of their own that is
# rebuilt only when the lock changes.
WORKDIR /build
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

# Then the project (packages scheduler, web, workers, ops) into site-packages, resolving nothing
# again; the build tree is thrown away afterwards.
COPY pyproject.toml ./
COPY scheduler ./scheduler
COPY web ./web
COPY workers ./workers
COPY ops ./ops
RUN pip install --no-deps . \
    && rm -rf /build

# Only what runs from the working directory: Alembic's config and the migration scripts.
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations

USER clinic

EXPOSE 5000

# The access log masks personal tokens (ops/gunicorn_conf.py).
CMD ["gunicorn", "--config", "python:ops.gunicorn_conf", "--bind", "0.0.0.0:5000", "--workers", "2", \
     "web.wsgi:app"]
