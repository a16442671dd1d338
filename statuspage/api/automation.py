"""Alert routes: their label matchers, the incident name template, and the writes that edit them.

Matchers are written one per line in Alertmanager's own syntax (`service="api"`,
`severity=~"critical|page"`, `env!="staging"`) and stored as `{"label", "op", "value"}` dicts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from incidents.services import Actor, ServiceError, audit_record
from incidents.templating import TemplateRenderError, render_sandboxed
from statuspage.api.models import AlertRoute

OPERATORS = ("=~", "!~", "!=", "=")
MAX_MATCHERS = 20
MAX_REGEX = 300
_LINE = re.compile(
    r"""^\s*(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^"'\s]\S*|)\s*$"""
)
_ROUTE_FIELDS = (
    "name",
    "enabled",
    "matchers",
    "firing_status",
    "open_incident",
    "incident_name_template",
    "impact_override",
    "notify",
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


# --- writes --------------------------------------------------------------------------------


def alert_route_save(
    *, actor: Actor, route: AlertRoute | None, components: Iterable, **fields
) -> AlertRoute:
    """Create (route=None) or edit a route. `matchers` may be given as text (one per line)."""
    unknown = set(fields) - set(_ROUTE_FIELDS)
    if unknown:
        raise ServiceError(f"Cannot set {', '.join(sorted(unknown))} on a route.")
    if isinstance(fields.get("matchers"), str):
        fields["matchers"] = parse_matchers(fields["matchers"])
    name = (fields.get("name") or "").strip()
    if not name:
        raise ServiceError("A route needs a name.", field="name")
    fields["name"] = name
    components = list(components)
    if not components:
        raise ServiceError("Choose at least one component the route drives.", field="components")
    check_name_template(fields.get("incident_name_template", ""))
    with transaction.atomic():
        before = None
        if route is None:
            top = AlertRoute.objects.aggregate(top=Max("position"))["top"]
            route = AlertRoute(position=(top or 0) + 1)
        else:
            route = AlertRoute.objects.select_for_update().get(pk=route.pk)
            before = _snapshot(route)
        for field, value in fields.items():
            setattr(route, field, value)
        route.updated_at = timezone.now()
        route.save()
        route.components.set(components)
        audit_record(
            actor=actor,
            action="alert_route.update" if before else "alert_route.create",
            obj=route,
            before=before,
            after=_snapshot(route),
        )
    return route


def alert_route_delete(*, actor: Actor, route: AlertRoute) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action="alert_route.delete", obj=route, before=_snapshot(route))
        route.delete()


def alert_route_move(*, actor: Actor, route: AlertRoute, direction: str) -> None:
    """Swap a route with its neighbour above ("up") or below ("down"); routes are tried in order."""
    if direction not in ("up", "down"):
        raise ServiceError("Move a route up or down.")
    with transaction.atomic():
        routes = list(AlertRoute.objects.select_for_update().order_by("position", "id"))
        # Renumber first so equal positions (from older rows) cannot make a swap a no-op.
        index = next(i for i, r in enumerate(routes) if r.pk == route.pk)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(routes):
            return
        routes[index], routes[other] = routes[other], routes[index]
        for position, item in enumerate(routes, start=1):
            if item.position != position:
                AlertRoute.objects.filter(pk=item.pk).update(position=position)
        audit_record(
            actor=actor, action="alert_route.move", obj=route, after={"direction": direction}
        )


def _snapshot(route: AlertRoute) -> dict:
    data = {field: getattr(route, field) for field in _ROUTE_FIELDS}
    data["position"] = route.position
    if route.pk:
        data["components"] = sorted(route.components.values_list("public_id", flat=True))
    return data
