"""The web asks the permission policy: no page, view or template compares staff roles itself."""

from __future__ import annotations

import re
from pathlib import Path

from scheduler.config import PROJECT_ROOT

WEB = PROJECT_ROOT / "web"
# Creating the first admin names a role; that is not a check.
MAY_NAME_A_ROLE = {WEB / "commands.py"}
ROLE_COMPARISON = re.compile(
    r"\brole(?:\.value)?\s*(?:==|!=|\bnot\s+in\b|\bin\b)"  # role == x, role in (...)
    r"|(?:==|!=)\s*[\w.]*\brole\b"  # x == staff.role
)
ROLE_MEMBER = re.compile(r"\bRole\.[A-Z_]+\b")  # Role.ADMIN: only ever there to be compared


def role_checks(path: Path) -> list[str]:
    """The lines of ``path`` that compare roles instead of asking the policy."""
    shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        named = ROLE_MEMBER.search(line) and path not in MAY_NAME_A_ROLE
        if ROLE_COMPARISON.search(line) or named:
            found.append(f"{shown}:{number}: {line.strip()}")
    return found


def test_no_role_is_compared_anywhere_in_the_web_layer() -> None:
    files = [*WEB.rglob("*.py"), *WEB.rglob("*.html")]
    assert len(files) > 50
    assert [line for path in sorted(files) for line in role_checks(path)] == []


def test_the_checker_notices_role_comparisons_in_code_and_templates(tmp_path: Path) -> None:
    view = tmp_path / "view.py"
    view.write_text(
        "if user.role == Role.ADMIN: pass\n"
        "allowed = user.role in EXPORTERS\n"
        "if user.role != Role.PRACTITIONER: pass\n"
        "READERS = (Role.ADMIN, Role.FRONT_DESK)\n"
        "may = Permissions.of(user)\n"
    )
    page = tmp_path / "page.html"
    page.write_text(
        "{% if staff.role.value == 'admin' %}x{% endif %}\n"
        "{% if staff.role.value not in ('admin', 'front_desk') %}x{% endif %}\n"
        "{% if 'admin' == staff.role.value %}x{% endif %}\n"
        '<p role="alert">{{ staff.role.value|replace("_", " ") }}</p>\n'
        "{% if may.run_setup() %}x{% endif %}\n"
    )
    lines = [line.split(": ", 1)[0] for line in role_checks(view) + role_checks(page)]
    assert [line.rsplit(":", 1)[1] for line in lines] == ["1", "2", "3", "4", "1", "2", "3"]
