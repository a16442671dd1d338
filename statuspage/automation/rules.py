"""The rules of alert routes as pure functions: label matchers and incident names.

Matchers are written one per line in Alertmanager's own syntax (`service="api"`,
`severity=~"critical|page"`, `env!="staging"`) and stored as `{"label", "op", "value"}` dicts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from incidents.services import ServiceError
from incidents.templating import TemplateRenderError, render_sandboxed
from statuspage.automation.models import AlertRoute

OPERATORS = ("=~", "!~", "!=", "=")
MAX_MATCHERS = 20
MAX_REGEX = 300
_LINE = re.compile(
    r"""^\s*(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^"'\s]\S*|)\s*$"""
)


# --- matchers ------------------------------------------------------------------------------


def parse_matchers(text: str) -> list[dict]:
    """Parse one matcher per line; raise ServiceError naming the first bad line."""
    out = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise ServiceError(
                f'Line {number}: write a matcher as label="value" (operators =, !=, =~, !~).',
                field="matchers",
            )
        value = match.group("value")
        if value[:1] in ("'", '"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        op = match.group("op")
        if op in ("=~", "!~"):
            if len(value) > MAX_REGEX:
                raise ServiceError(
                    f"Line {number}: the regular expression is too long.", field="matchers"
                )
            try:
                re.compile(value)
            except re.error as exc:
                raise ServiceError(
                    f"Line {number}: invalid regular expression ({exc}).", field="matchers"
                ) from None
        out.append({"label": match.group("label"), "op": op, "value": value})
    if len(out) > MAX_MATCHERS:
        raise ServiceError(f"At most {MAX_MATCHERS} matchers per route.", field="matchers")
    return out


def format_matchers(matchers: Iterable[Mapping]) -> str:
    return "\n".join(f"{m['label']}{m['op']}{json.dumps(m['value'])}" for m in matchers)


def matches(matchers: Iterable[Mapping], labels: Mapping[str, str]) -> bool:
    """Alertmanager's semantics: a missing label reads as the empty string; regular expressions
    must match the whole value."""
    for matcher in matchers:
        value = labels.get(matcher["label"], "")
        op = matcher["op"]
        if op == "=":
            ok = value == matcher["value"]
        elif op == "!=":
            ok = value != matcher["value"]
        else:
            found = re.fullmatch(matcher["value"], value) is not None
            ok = found if op == "=~" else not found
        if not ok:
            return False
    return True


def first_route(routes: Iterable[AlertRoute], labels: Mapping[str, str]) -> AlertRoute | None:
    return next((r for r in routes if r.enabled and matches(r.matchers, labels)), None)


# --- incident names ------------------------------------------------------------------------

NAME_HELP = (
    "Jinja2, sandboxed: {{ labels.<name> }}, {{ annotations.<name> }}, {{ alertname }}, "
    "{{ components }}. Blank: the alertname."
)
SAMPLE_CONTEXT = {
    "labels": {"alertname": "HighErrorRate", "service": "api", "severity": "critical"},
    "annotations": {"summary": "Error rate above 5%", "description": "…"},
    "alertname": "HighErrorRate",
    "components": "API",
}


def render_name(template: str, context: dict) -> str:
    """The incident name for an alert; the alertname when the template is blank, fails on
    these labels, or renders empty (an alert must never be lost to a template typo)."""
    fallback = context.get("alertname") or "Alert"
    if not template.strip():
        return fallback[:200]
    try:
        name = " ".join(render_sandboxed(template, context).split())
    except TemplateRenderError:
        return fallback[:200]
    return (name or fallback)[:200]


def check_name_template(template: str) -> None:
    if not template.strip():
        return
    try:
        render_sandboxed(
            template,
            {k: _Lenient(v) if isinstance(v, dict) else v for k, v in SAMPLE_CONTEXT.items()},
        )
    except TemplateRenderError as exc:
        raise ServiceError(str(exc), field="incident_name_template") from None


class _Lenient(dict):
    """Sample labels for checking a template: any label name reads as a placeholder, so a
    template may name labels the sample lacks."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name, name)

    def __getitem__(self, name):
        return self.get(name, name)
