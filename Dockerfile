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

# Install the project (packages scheduler, web, workers, ops) and its dependencies into
# site-packages; the build tree is thrown away afterwards.
WORKDIR /build
COPY pyproject.toml ./
COPY scheduler ./scheduler
COPY web ./web
COPY workers ./workers
COPY ops ./ops
RUN pip install . \
    && rm -rf /build

# Only what runs from the working directory: Alembic's config and the migration scripts.
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations

USER clinic

EXPOSE 5000

CMD ["gunicorn", "--bind", "0.0.0.0:5000", "--workers", "2", "--access-logfile", "-", "web.wsgi:app"]
