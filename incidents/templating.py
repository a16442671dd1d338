"""Operator-written templates (incident templates, alert-route incident names), rendered in a
sandboxed Jinja2 environment: operators edit them, so they must not reach Python internals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from django.utils import timezone
from jinja2 import StrictUndefined, TemplateError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment


class TemplateRenderError(Exception):
    pass


MAX_OUTPUT = 20000


class _Sandbox(SandboxedEnvironment):
    """The sandbox blocks unsafe attributes; this also refuses `"x" * 10**9` and `9 ** 9 ** 9`,
    which would stall the worker while building a huge value."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Context, operator: str, left: object, right: object) -> object:
        if operator == "**" or any(isinstance(v, str | list) for v in (left, right)):
            raise TemplateRenderError("Multiplying text or raising to a power is not allowed.")
        return super().call_binop(context, operator, left, right)


# No autoescape: the output is Markdown (sanitised when rendered) or a plain-text title, and
# HTML pages escape it when they show it. StrictUndefined turns a typo into a clear error.
_ENV = _Sandbox(autoescape=False, undefined=StrictUndefined)  # noqa: S701

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
        output = _ENV.from_string(source).render(context)
    except TemplateError as exc:  # syntax errors, undefined names, sandbox violations
        raise TemplateRenderError(f"Template error: {exc.message or exc}") from None
    if len(output) > MAX_OUTPUT:
        raise TemplateRenderError("The rendered text is too long.")
    return output
