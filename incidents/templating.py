"""Operator-written templates (incident templates, alert-route incident names), rendered in a
sandboxed Jinja2 environment: operators edit them, so they must not reach Python internals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from django.utils import timezone
from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.defaults import DEFAULT_FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment


class TemplateRenderError(Exception):
    pass


MAX_OUTPUT = 20000
# A template may loop (over a range, or the characters of a value), but not for long: the
# render runs in a web request or an alert's handling.
MAX_LOOP = 1000
# Filters that cannot build a huge value from a small template (center(10**9), indent,
# wordwrap, format and replace can).
SAFE_FILTERS = (
    "abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int",
    "join", "last", "length", "list", "lower", "reverse", "round", "sort", "string",
    "striptags", "title", "trim", "truncate", "unique", "upper", "wordcount",
)  # fmt: skip
_SAFE_STR_METHODS = frozenset(
    ["capitalize", "casefold", "endswith", "isdigit", "lower", "lstrip", "rstrip", "split",
     "startswith", "strip", "title", "upper"]
)  # fmt: skip
# Template constructs a message has no use for and that multiply work: macros (recursion),
# call blocks, includes and imports.
_FORBIDDEN_NODES = (nodes.Macro, nodes.CallBlock, nodes.Include, nodes.Import, nodes.FromImport)


def _bounded_range(*args: int) -> range:
    steps = range(*args)
    if len(steps) > MAX_LOOP:
        raise TemplateRenderError(f"Loops are limited to {MAX_LOOP} steps.")
    return steps


class _Sandbox(SandboxedEnvironment):
    """The sandbox blocks unsafe attributes; this also refuses `"x" * 10**9` and `9 ** 9 ** 9`,
    which would stall the worker while building a huge value."""

    intercepted_binops = frozenset(["*", "**"])

    def is_safe_attribute(self, obj: object, attr: str, value: object) -> bool:
        # A string's methods that pad or repeat ("a".center(10**9), .ljust, .zfill, .replace,
        # .join, .expandtabs, .format) would build a huge value: only these are reachable.
        if isinstance(obj, str) and attr not in _SAFE_STR_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: object) -> None:
        # Jinja2 hands str.format to its own sandboxed formatter before asking
        # is_safe_attribute; "{:>999999999}".format(1) would still build a huge value.
        return None

    def call_binop(self, context: Context, operator: str, left: object, right: object) -> object:
        if operator == "**" or any(isinstance(v, str | list) for v in (left, right)):
            raise TemplateRenderError("Multiplying text or raising to a power is not allowed.")
        return super().call_binop(context, operator, left, right)


# No autoescape: the output is Markdown (sanitised when rendered) or a plain-text title, and
# HTML pages escape it when they show it. StrictUndefined turns a typo into a clear error.
_ENV = _Sandbox(autoescape=False, undefined=StrictUndefined)  # noqa: S701
_ENV.filters = {name: DEFAULT_FILTERS[name] for name in SAFE_FILTERS}
_ENV.globals["range"] = _bounded_range


def _check_shape(source: str) -> None:
    """Refuse constructs that multiply work: forbidden nodes and a loop inside a loop."""
    tree = _ENV.parse(source)
    if any(True for _ in tree.find_all(_FORBIDDEN_NODES)):
        raise TemplateRenderError("Macros, call blocks, includes and imports are not allowed.")
    for loop in tree.find_all(nodes.For):
        if any(True for inner in loop.body for _ in inner.find_all(nodes.For)) or any(
            isinstance(inner, nodes.For) for inner in loop.body
        ):
            raise TemplateRenderError("A loop inside a loop is not allowed.")


VARIABLES_HELP = (
    "Variables: {{ page }} (page name), {{ components }} (names, comma separated), "
    "{{ now }} (date and time in the page's time zone)."
)


class TemplateContext(TypedDict):
    page: str
    components: str
    now: str


def template_context(page_name: str, component_names: list[str]) -> TemplateContext:
    """The variables an incident template sees (VARIABLES_HELP names them to operators)."""
    return {
        "page": page_name,
        "components": ", ".join(component_names),
        "now": timezone.localtime().strftime("%Y-%m-%d %H:%M %Z"),
    }


def render_sandboxed(source: str, context: Mapping[str, object]) -> str:
    """Render one template string, or raise TemplateRenderError with a readable message."""
    try:
        _check_shape(source)
        output = _ENV.from_string(source).render(context)
    except TemplateRenderError:
        raise
    except TemplateError as exc:  # syntax errors, undefined names, sandbox violations
        raise TemplateRenderError(f"Template error: {exc.message or exc}") from None
    except Exception as exc:  # noqa: BLE001 - operator-written code: any failure is theirs
        raise TemplateRenderError(f"Template error: {type(exc).__name__}: {exc}") from None
    if len(output) > MAX_OUTPUT:
        raise TemplateRenderError("The rendered text is too long.")
    return output
