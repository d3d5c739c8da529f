"""The deployment files (compose, Procfile, Dockerfile) agree with each other and with the code.

Docker does not run here, so these tests read the files: they catch a renamed module, a
forgotten environment variable or a service that starts before its database is ready.
"""

from __future__ import annotations

import importlib
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"postgres", "redis", "migrate", "web", "worker", "beat", "flower"}
APP_SERVICES = ("migrate", "web", "worker", "beat", "flower")
WEB_APP = "web.wsgi:app"
CELERY_APP = "workers.celery_app"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    entries = [line.split(":", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {name.strip(): command.strip() for name, command in entries}


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    instructions = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, arguments = stripped.partition(" ")
            instructions.append((keyword.upper(), " ".join(arguments.split())))
    return instructions


def words(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return test
    assert test[0] in ("CMD", "CMD-SHELL"), test
    return " ".join(test[1:])


def test_compose_defines_the_seven_services(compose: dict[str, Any]) -> None:
    assert "version" not in compose
    assert set(compose["services"]) == SERVICES


def test_postgres_and_redis_have_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    assert "pg_isready -U clinic -d clinic" in healthcheck_command(services["postgres"])
    assert "redis-cli ping" in healthcheck_command(services["redis"])


def test_postgres_and_redis_keep_their_data_in_named_volumes(compose: dict[str, Any]) -> None:
    named = set(compose["volumes"])
    for name, target in (("postgres", "/var/lib/postgresql/data"), ("redis", "/data")):
        mounts = [volume.split(":") for volume in compose["services"][name]["volumes"]]
        assert any(source in named and path == target for source, path, *_ in mounts), name


def test_redis_appends_every_write_and_never_evicts_queued_tasks(
    services: dict[str, dict[str, Any]],
) -> None:
    command = words(services["redis"]["command"])
    assert command[0] == "redis-server"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_the_process_commands_name_the_real_web_and_celery_apps(
    services: dict[str, dict[str, Any]],
) -> None:
    web = words(services["web"]["command"])
    assert web[0] == "gunicorn" and web[-1] == WEB_APP
    for name, subcommand in (("worker", "worker"), ("beat", "beat"), ("flower", "flower")):
        command = words(services[name]["command"])
        assert command[:4] == ["celery", "-A", CELERY_APP, subcommand], name
    assert words(services["migrate"]["command"]) == ["alembic", "upgrade", "head"]


def test_the_web_and_celery_modules_exist_and_define_app() -> None:
    for module in (WEB_APP.split(":")[0], CELERY_APP):
        source = ROOT / (module.replace(".", "/") + ".py")
        assert source.is_file(), source
        assert re.search(r"^app = ", source.read_text(), re.MULTILINE), source


def test_the_worker_consumes_the_queue_the_tasks_are_sent_to(
    services: dict[str, dict[str, Any]],
) -> None:
    command = words(services["worker"]["command"])
    queue = command[command.index("-Q") + 1]
    celery_source = (ROOT / "workers" / "celery_app.py").read_text()
    assert f'task_default_queue="{queue}"' in celery_source


def test_every_app_service_shares_one_production_environment(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    env = compose["x-app-env"]
    for name in APP_SERVICES:
        assert services[name]["environment"] == env, name
    assert env["APP_ENV"] == "production"
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert env["PUBLIC_BASE_URL"].startswith("${PUBLIC_BASE_URL:?")


def test_the_database_password_is_the_one_postgres_is_given_and_has_no_default(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    password = services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert password.startswith("${POSTGRES_PASSWORD:?")  # compose refuses to start without it
    assert f"clinic:{password}@" in compose["x-app-env"]["DATABASE_URL"]
    assert "clinic:clinic@" not in (ROOT / "docker-compose.yml").read_text()


def test_no_variable_the_stack_needs_has_a_default(compose: dict[str, Any]) -> None:
    """Secrets and the public address must be given: ``${NAME:?...}``, never ``${NAME:-...}``."""
    text = (ROOT / "docker-compose.yml").read_text()
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "FLOWER_BASIC_AUTH", "PUBLIC_BASE_URL"):
        assert f"${{{name}:?" in text, name
        assert f"${{{name}:-" not in text and f"${{{name}}}" not in text, name


def test_flower_asks_for_a_login_and_listens_only_on_the_host(
    services: dict[str, dict[str, Any]],
) -> None:
    flower = services["flower"]
    command = words(flower["command"])
    auth = [word for word in command if word.startswith("--basic-auth=")]
    assert auth == ["--basic-auth=${FLOWER_BASIC_AUTH:?set FLOWER_BASIC_AUTH to user:password}"]
    assert flower["ports"] == ["127.0.0.1:5555:5555"]


def test_only_the_web_app_is_published_on_every_interface(
    services: dict[str, dict[str, Any]],
) -> None:
    published = {
        name: port
        for name, service in services.items()
        for port in service.get("ports", [])
        if not str(port).startswith("127.0.0.1:")
    }
    assert published == {"web": "5000:5000"}


def test_the_app_trusts_no_proxy_header_unless_told(compose: dict[str, Any]) -> None:
    assert compose["x-app-env"]["TRUSTED_PROXY_HOPS"] == "${TRUSTED_PROXY_HOPS:-0}"


def gunicorn_config(command: list[str]) -> str:
    return command[command.index("--config") + 1]


def test_every_way_of_serving_the_web_app_masks_tokens_in_its_access_log(
    procfile: dict[str, str],
    services: dict[str, dict[str, Any]],
    dockerfile: list[tuple[str, str]],
) -> None:
    cmd = [arguments for keyword, arguments in dockerfile if keyword == "CMD"][-1]
    commands = {
        "compose": words(services["web"]["command"]),
        "procfile": words(procfile["web"]),
        "dockerfile": json.loads(cmd),
        "make run": _devstack_web_command(),
    }
    for name, command in commands.items():
        assert gunicorn_config(command) == "python:ops.gunicorn_conf", name
        assert "--access-logfile" not in command, name  # the config's redacting log only
    config = importlib.import_module("ops.gunicorn_conf")
    assert config.accesslog == "-"
    assert issubclass(config.logger_class, config.RedactingLogger)


def _devstack_web_command() -> list[str]:
    from ops.devstack import _commands

    command = _commands(5000)["web"]
    return [Path(command[0]).name, *command[1:]]


def test_every_app_environment_variable_is_read_by_the_settings(compose: dict[str, Any]) -> None:
    config_source = (ROOT / "scheduler" / "config.py").read_text()
    unread = [
        name
        for name in compose["x-app-env"]
        if not name.startswith("POSTGRES_") and f'"{name}"' not in config_source
    ]
    assert unread == []


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_the_app_waits_for_healthy_stores_and_finished_migrations(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    assert services[name]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }


def test_migrations_run_once_after_postgres_is_healthy(
    services: dict[str, dict[str, Any]],
) -> None:
    migrate = services["migrate"]
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["restart"] == "no"


def test_long_running_services_restart_unless_stopped(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in SERVICES - {"migrate"}:
        assert services[name]["restart"] == "unless-stopped", name


def test_web_and_worker_have_healthchecks_that_need_no_curl(
    services: dict[str, dict[str, Any]],
) -> None:
    web = services["web"]["healthcheck"]["test"]
    assert web[:3] == ["CMD", "python", "-c"]
    assert "http://127.0.0.1:5000/healthz" in web[3]
    worker = healthcheck_command(services["worker"])
    assert f"celery -A {CELERY_APP} inspect ping" in worker
    assert "-d celery@$$HOSTNAME" in worker


def test_there_is_exactly_one_beat(services: dict[str, dict[str, Any]]) -> None:
    beats = [name for name, service in services.items() if " beat" in str(service.get("command"))]
    assert beats == ["beat"]
    assert "deploy" not in services["beat"] and "scale" not in services["beat"]


def test_the_procfile_runs_the_same_processes_as_compose(
    procfile: dict[str, str], services: dict[str, dict[str, Any]]
) -> None:
    assert set(procfile) == {"release", "web", "worker", "beat"}
    assert procfile["release"] == services["migrate"]["command"]
    assert procfile["web"].replace("$PORT", "5000") == services["web"]["command"]
    assert procfile["worker"] == services["worker"]["command"]
    assert procfile["beat"].startswith(f"celery -A {CELERY_APP} beat ")


def test_the_web_process_binds_the_platform_port(procfile: dict[str, str]) -> None:
    assert "--bind 0.0.0.0:$PORT" in procfile["web"]


def test_the_dockerfile_installs_the_project_and_drops_root(
    dockerfile: list[tuple[str, str]],
) -> None:
    assert dockerfile[0] == ("FROM", "python:3.11-slim")
    runs = [arguments for keyword, arguments in dockerfile if keyword == "RUN"]
    assert any(re.search(r"\bpip install --no-deps \.(\s|$)", run) for run in runs)
    users = [arguments for keyword, arguments in dockerfile if keyword == "USER"]
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_the_dockerfile_installs_the_locked_runtime_dependencies_before_the_project(
    dockerfile: list[tuple[str, str]],
) -> None:
    steps = [f"{keyword} {arguments}" for keyword, arguments in dockerfile]
    copy_lock = steps.index("COPY requirements.lock ./")
    install_lock = steps.index("RUN pip install --require-hashes -r requirements.lock")
    install_project = next(i for i, step in enumerate(steps) if "pip install --no-deps ." in step)
    assert copy_lock < install_lock < install_project
    assert [step for step in steps if "pip install" in step] == [
        steps[install_lock],
        steps[install_project],
    ]


def test_the_runtime_lock_pins_every_package_with_hashes() -> None:
    lock = (ROOT / "requirements.lock").read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\$", lock, re.MULTILINE)
    assert len(pins) == len(re.findall(r"^[A-Za-z0-9_.-]", lock, re.MULTILINE))
    assert {"flask", "celery", "sqlalchemy", "gunicorn"} <= {pin.lower() for pin in pins}
    blocks = re.split(r"^(?=[A-Za-z0-9_.-])", lock, flags=re.MULTILINE)[1:]
    assert all("--hash=sha256:" in block for block in blocks)


def test_the_dockerfile_ships_the_migrations_and_serves_on_port_5000(
    dockerfile: list[tuple[str, str]],
) -> None:
    copies = [arguments.split() for keyword, arguments in dockerfile if keyword == "COPY"]
    sources = {source.rstrip("/") for copy in copies for source in copy[:-1]}
    assert {"pyproject.toml", "alembic.ini", "migrations"} <= sources
    assert ("EXPOSE", "5000") in dockerfile
    cmd = [arguments for keyword, arguments in dockerfile if keyword == "CMD"][-1]
    assert "gunicorn" in cmd and WEB_APP in cmd


def test_the_dockerignore_keeps_local_state_out_of_the_image() -> None:
    patterns = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "instance", ".git", "**/__pycache__", "bench/results.json"} <= patterns
