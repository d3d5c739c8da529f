"""The dependency rule: the domain core imports neither the frameworks nor the outer layers."""

from __future__ import annotations

import ast
from pathlib import Path

from scheduler.config import PROJECT_ROOT

FORBIDDEN_IN_CORE = {"flask", "flask_smorest", "flask_wtf", "celery", "kombu", "web", "workers"}


def imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_scheduler_core_imports_no_framework_and_no_outer_layer() -> None:
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(
            imported_top_level_modules(path) & FORBIDDEN_IN_CORE
        )
        for path in (PROJECT_ROOT / "scheduler").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_workers_do_not_import_the_web_layer() -> None:
    for path in (PROJECT_ROOT / "workers").rglob("*.py"):
        assert "web" not in imported_top_level_modules(path), path


def test_the_checker_notices_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "leaky.py"
    module.write_text("from flask import Flask\nimport celery.app\n")
    assert imported_top_level_modules(module) & FORBIDDEN_IN_CORE == {"flask", "celery"}


def test_every_module_opens_with_a_one_line_docstring() -> None:
    missing = []
    for package in ("scheduler", "web", "workers", "ops"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            doc = ast.get_docstring(ast.parse(path.read_text()))
            if not doc:
                missing.append(str(path.relative_to(PROJECT_ROOT)))
    assert missing == []
