"""The dependency rule and the wiring: import contracts, module headers, the audit trail's hook."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from scheduler.config import PROJECT_ROOT

Completed = subprocess.CompletedProcess[str]

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CORE_CONTRACT = "The core imports no web or task framework, no Redis client and no outer layer"
# Run in a fresh interpreter, where no earlier test has turned the audit trail on.
AUDIT_PROBE = """
import sys
from sqlalchemy import event
from sqlalchemy.orm import Session
from scheduler.config import load_settings
from scheduler.records import audit

def on():
    return event.contains(Session, "after_flush", audit._after_flush)

assert not on(), "importing the core turned the audit trail on"
if sys.argv[1] == "web":
    from web.app import create_app
    create_app(load_settings())
else:
    from workers.runtime import runtime
    runtime()
assert on(), sys.argv[1] + " left the audit trail off"
"""


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Completed:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def lint_imports(cwd: Path) -> Completed:
    return run([str(LINT_IMPORTS), "--no-cache"], cwd)


def core_contract() -> dict[str, Any]:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["name"] == CORE_CONTRACT)


def test_the_project_keeps_every_import_contract() -> None:
    result = lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_core_contract_fails_a_core_module_that_imports_flask(tmp_path: Path) -> None:
    forbidden = core_contract()["forbidden_modules"]
    package = tmp_path / "leaky_core"
    package.mkdir()
    (package / "__init__.py").write_text('"""A core that leans on Flask."""\n')
    (package / "pages.py").write_text('"""A view in the core."""\n\nimport flask  # noqa\n')
    (tmp_path / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_packages = ["leaky_core"]\ninclude_external_packages = true\n'
        '[[tool.importlinter.contracts]]\nname = "The core imports no framework"\n'
        'type = "forbidden"\nsource_modules = ["leaky_core"]\n'
        f"forbidden_modules = {json.dumps(forbidden)}\n"
    )
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "leaky_core is not allowed to import flask" in result.stdout
    assert "leaky_core.pages -> flask" in result.stdout


@pytest.mark.parametrize("root", ["web", "worker"])
def test_the_app_and_the_worker_turn_the_audit_trail_on(root: str, tmp_path: Path) -> None:
    """Importing the core records nothing; building the web app or the worker's runtime turns
    the audit trail on."""
    env = {
        **os.environ,
        "APP_ENV": "test",
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'clinic.db'}",
        "REDIS_URL": "redis://127.0.0.1:1/0",  # never connected to: the probe sends nothing
        "SECRET_KEY": "test-secret-key",
    }
    result = run([sys.executable, "-c", AUDIT_PROBE, root], PROJECT_ROOT, env)
    assert result.returncode == 0, result.stderr


def test_every_module_opens_with_a_one_line_docstring() -> None:
    missing = []
    for package in ("scheduler", "web", "workers", "ops"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            doc = ast.get_docstring(ast.parse(path.read_text()))
            if not doc:
                missing.append(str(path.relative_to(PROJECT_ROOT)))
    assert missing == []
