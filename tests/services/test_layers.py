"""The layers of DESIGN.md hold in the imports: what each package may and may not import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "repatria"


def _imports(path: Path) -> set[str]:
    """Every module a file imports (absolute names), at any depth (lazy imports included)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path.relative_to(SRC)} imports {name}"
        for path in (SRC / package).rglob("*.py")
        for name in _imports(path)
        if name.startswith(forbidden)
    )


@pytest.mark.parametrize("surface", ["cli", "api", "web", "reports"])
def test_surfaces_import_no_registry_code(surface: str) -> None:
    assert _offenders(surface, ("repatria.registry", "sqlalchemy")) == []


def test_file_pipelines_never_open_the_registry() -> None:
    assert _offenders("services/pipelines", ("repatria.registry", "sqlalchemy")) == []


def test_vocabulary_imports_only_typing() -> None:
    assert _imports(SRC / "vocabulary.py") <= {
        "__future__",
        "__future__.annotations",
        "typing",
        "typing.Literal",
        "typing.get_args",
    }


def test_the_audit_log_does_not_import_users() -> None:
    # users -> audit (log_event) and audit -> permissions (require): no circle.
    audit = _imports(SRC / "services" / "access" / "audit.py")
    permissions = _imports(SRC / "services" / "access" / "permissions.py")
    assert not any(n.startswith("repatria.services.access.users") for n in audit | permissions)
    assert not any(n.startswith("repatria.services.access.audit") for n in permissions)
