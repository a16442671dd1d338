"""The dependency rules of the architecture, read from the source: the domain imports no app
above it, notifications never import the web surfaces, and no surface imports another (what
two surfaces share lives in the domain or in a project-level module such as json_http)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SURFACES = ("api", "widget", "public", "dashboard")
# The api and dashboard surfaces still share API keys, roles and alert routes; they join this
# list once those live in apps of their own (statuspage/access, statuspage/automation).
CHECKED_SURFACES = ("widget", "public")


def imported_modules(package: str) -> dict[str, set[str]]:
    """Every module each file of `package` (a path under the project root) imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    out = {}
    for path, names in imported_modules(package).items():
        bad = sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))
        if bad:
            out[path] = bad
    return out


def test_the_domain_imports_no_app_above_it():
    assert offenders("incidents", ("statuspage", "notifications")) == {}


def test_notifications_never_import_the_web_surfaces():
    assert offenders("notifications", ("statuspage",)) == {}


@pytest.mark.parametrize("surface", CHECKED_SURFACES)
def test_no_surface_imports_another(surface):
    others = tuple(f"statuspage.{other}" for other in SURFACES if other != surface)
    assert offenders(f"statuspage/{surface}", others) == {}


def test_the_checker_sees_imports():
    """Not vacuous: it does find the imports that are allowed."""
    widget = imported_modules("statuspage/widget")
    assert "incidents.wire" in widget["statuspage/widget/views.py"]
    assert "statuspage.json_http" in widget["statuspage/widget/views.py"]
