"""The import rules between apps (docs/architecture.md), checked on every `make test`.

- The import-linter contracts in pyproject.toml: the web surfaces import nothing of each other;
  each layer (wiring, surfaces, shared web modules, access and automation, notifications, the
  domain) imports only the layers below it; other apps use incidents.services and
  notifications.services through the package.
- No app uses another app's private names: `from X import _name`, `X._name`, or a module whose
  name starts with an underscore, where X belongs to another app. A helper another app needs is
  made public where it lives (e.g. incidents.services.page_lock), not borrowed.
- Sizes a reader can hold: a module past MODULE_LINES becomes a package, a function whose own
  code (without its docstring and the functions and classes defined inside it) passes
  FUNCTION_LINES becomes named steps.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("incidents", "notifications", "statuspage")
MODULE_LINES = 600
FUNCTION_LINES = 60
# Django's documented model metadata API (Model._meta): public despite its underscore.
PUBLIC_UNDERSCORE_NAMES = frozenset({"_meta"})


def app_of(module: str) -> str | None:
    """The app a dotted module name belongs to: incidents, notifications, a statuspage app
    (statuspage.api, statuspage.access, ...) or a project-level module (statuspage.settings,
    statuspage.public_cache, ...); None outside the project."""
    parts = module.split(".")
    if parts[0] in ("incidents", "notifications"):
        return parts[0]
    if parts[0] == "statuspage" and len(parts) > 1:
        return ".".join(parts[:2])
    return None


def is_private(name: str) -> bool:
    return (
        name.startswith("_")
        and not (name.startswith("__") and name.endswith("__"))
        and name not in PUBLIC_UNDERSCORE_NAMES
    )


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def private_name_uses(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Each use in `source` (the code of `module`) of another app's private name."""
    own = app_of(module)
    found: list[str] = []
    bound: dict[str, str] = {}  # local name -> the dotted name it stands for

    def foreign(dotted: str) -> bool:
        app = app_of(dotted)
        return app is not None and app != own

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
                if foreign(alias.name) and any(map(is_private, alias.name.split("."))):
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            for alias in node.names:
                dotted = f"{base}.{alias.name}"
                bound[alias.asname or alias.name] = dotted
                if foreign(dotted) and any(map(is_private, dotted.split("."))):
                    found.append(f"line {node.lineno}: from {base} import {alias.name}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not is_private(node.attr):
            continue
        chain, value = [node.attr], node.value
        while isinstance(value, ast.Attribute):
            chain.append(value.attr)
            value = value.value
        if isinstance(value, ast.Name) and value.id in bound:
            dotted = ".".join([bound[value.id], *reversed(chain)])
            if foreign(bound[value.id]):
                found.append(f"line {node.lineno}: {dotted}")
    return found


def project_modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_app_uses_another_apps_private_names():
    uses = {
        str(path.relative_to(ROOT)): found
        for path in project_modules()
        if (
            found := private_name_uses(
                path.read_text(), module_name(path), is_package=path.name == "__init__.py"
            )
        )
    }
    assert uses == {}


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from incidents.services.common import _audit", "statuspage.api.views"),
        ("from incidents.services import common\ncommon._audit()", "notifications.jobs"),
        ("import incidents.services.common\nincidents.services.common._x()", "statuspage.urls"),
        ("import incidents.services.common as c\nc._x.y()", "statuspage.access.services"),
        ("from incidents._internal import thing", "statuspage.dashboard.views"),
        ("from statuspage.api.serializers import _update", "statuspage.widget.views"),
        ("from statuspage.public.views import helper\nhelper._cache", "statuspage.public_cache"),
        ("from ..dashboard import _secret", "statuspage.api.views"),
    ],
)
def test_the_check_finds_a_private_name_from_another_app(source, module):
    assert len(private_name_uses(source, module)) == 1


@pytest.mark.parametrize(
    ("source", "module"),
    [
        # Within one app, private names are that app's business.
        ("from statuspage.api.v1.http import _with_headers", "statuspage.api.v1.incidents"),
        ("from incidents.services.common import _publish", "incidents.selectors"),
        ("from .common import _x", "incidents.services.components"),
        # Model._meta is Django's public metadata API; dunders are not private.
        ("from incidents.models import Page\nPage._meta.get_field('name')", "statuspage.api.x"),
        ("import incidents\nincidents.__name__", "statuspage.api.x"),
        # Outside the project (Django, the standard library).
        ("import os\nos._exit(0)", "statuspage.serve"),
    ],
)
def test_the_check_leaves_public_and_own_names_alone(source, module):
    assert private_name_uses(source, module) == []


def _defined_inside(node: ast.AST) -> Iterator[ast.AST]:
    """The functions and classes defined in `node`'s body, outermost only."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child
        else:
            yield from _defined_inside(child)


def long_functions(source: str) -> list[str]:
    """Each function of `source` whose own code passes FUNCTION_LINES, with its length."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        own = node.end_lineno - node.lineno + 1  # type: ignore[operator]
        if ast.get_docstring(node) is not None:
            own -= node.body[0].end_lineno - node.body[0].lineno + 1  # type: ignore[operator]
        for inner in _defined_inside(node):
            own -= inner.end_lineno - inner.lineno + 1 + len(inner.decorator_list)  # type: ignore[attr-defined,operator]
        if own > FUNCTION_LINES:
            found.append(f"{node.name} ({own} lines)")
    return found


def test_no_module_is_past_its_size():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in project_modules()}
    assert {path: n for path, n in sizes.items() if n > MODULE_LINES} == {}


def test_no_function_is_past_its_size():
    found = {
        str(path.relative_to(ROOT)): long
        for path in project_modules()
        if (long := long_functions(path.read_text()))
    }
    assert found == {}


def test_a_functions_size_leaves_out_its_docstring_and_what_it_defines_inside():
    step = "    x = 1\n"
    inner = "    def inner():\n" + "        y = 2\n" * 40
    docstring = '    """' + "Why.\n" * 30 + '    """\n'
    at_limit = "def f():\n" + docstring + step * (FUNCTION_LINES - 1) + inner
    assert long_functions(at_limit) == []
    past = "def f():\n" + step * FUNCTION_LINES
    assert long_functions(past) == [f"f ({FUNCTION_LINES + 1} lines)"]
