"""One statement of what a monitor may be: the API and the dashboard hand their input here,
and every refusal is a ServiceError naming the field (an API 422, a form error)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from incidents.models import Component, IncidentTemplate
from incidents.services import ServiceError
from statuspage.monitors.checks.dns import BadResolver, split_resolver
from statuspage.monitors.models import FailureStatus, Kind, Monitor, RecordType

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_HOST = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?"
)
_IP_LITERAL = re.compile(r"[0-9A-Fa-f:.]+")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_JSON_PATH = re.compile(r"[^.\s]{1,100}(\.[^.\s]{1,100}){0,19}")
# Headers the check itself writes: an operator's copy would make a malformed request.
_RESERVED_HEADERS = {"host", "connection", "content-length", "transfer-encoding"}

# Every field a monitor takes, with its value for a new monitor.
DEFAULTS: dict[str, Any] = {
    "name": "",
    "kind": "",
    "component_id": "",
    "enabled": True,
    "url": "",
    "host": "",
    "port": None,
    "dns_resolver": "",
    "dns_record_type": RecordType.A.value,
    "interval_seconds": 60,
    "timeout_seconds": 10,
    "method": "GET",
    "headers": {},
    "expected_statuses": [],
    "keyword": "",
    "json_path": "",
    "json_expected": "",
    "latency_threshold_ms": None,
    "tls_expiry_warning_days": None,
    "grace_seconds": 60,
    "failures_before_down": 2,
    "successes_before_up": 2,
    "failure_status": FailureStatus.MAJOR_OUTAGE.value,
    "open_incident": False,
    "incident_template_id": None,
    "regions": [],
    "regions_required": 1,
}
FIELDS = frozenset(DEFAULTS)


def current_values(monitor: Monitor) -> dict[str, Any]:
    values = {name: getattr(monitor, name) for name in DEFAULTS if hasattr(monitor, name)}
    values["component_id"] = monitor.component.public_id
    values["incident_template_id"] = monitor.incident_template_id
    return values


def clean(data: Mapping[str, Any], *, monitor: Monitor | None) -> dict[str, Any]:
    """The model fields for `data` laid over the monitor's values (or the defaults): what is
    not given keeps its value, as a PATCH expects. Raises ServiceError(field=...)."""
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise ServiceError(f"Unknown field: {unknown[0]}.", field=unknown[0])
    values = {**(current_values(monitor) if monitor else DEFAULTS), **data}
    out: dict[str, Any] = {
        "name": _text(values, "name", 100, required=True),
        "kind": _choice(values, "kind", Kind.values),
        "enabled": _bool(values, "enabled"),
        "interval_seconds": _int(values, "interval_seconds", 20, 86400),
        "timeout_seconds": _int(values, "timeout_seconds", 1, 60),
        "failures_before_down": _int(values, "failures_before_down", 1, 100),
        "successes_before_up": _int(values, "successes_before_up", 1, 100),
        "failure_status": _choice(values, "failure_status", FailureStatus.values),
        "open_incident": _bool(values, "open_incident"),
        "grace_seconds": _int(values, "grace_seconds", 0, 86400),
    }
    if out["timeout_seconds"] >= out["interval_seconds"]:
        raise ServiceError(
            "The timeout must be shorter than the interval.", field="timeout_seconds"
        )
    out["component"] = _component(values.get("component_id"))
    out["incident_template"] = _template(values.get("incident_template_id"))
    out.update(_target(values, out["kind"]))
    out.update(_http_options(values, out["kind"]))
    out.update(_dns_options(values, out["kind"]))
    out.update(_regions(values))
    return out


def _target(values: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """Only the target fields of the kind are kept; the others are blanked."""
    target: dict[str, Any] = {"url": "", "host": "", "port": None}
    if kind == Kind.HTTP:
        target["url"] = _url(values)
    elif kind in (Kind.TCP, Kind.DNS):
        target["host"] = _host(values)
        if kind == Kind.TCP:
            target["port"] = _int(values, "port", 1, 65535, required=True)
    return target


def _http_options(values: Mapping[str, Any], kind: str) -> dict[str, Any]:
    method = _text(values, "method", 8).upper() or "GET"
    if method not in METHODS:
        raise ServiceError("method must be one of: " + ", ".join(METHODS) + ".", field="method")
    options = {
        "method": method,
        "headers": _headers(values.get("headers")),
        "expected_statuses": _statuses(values.get("expected_statuses")),
        "keyword": _text(values, "keyword", 200),
        "json_path": _text(values, "json_path", 200),
        "json_expected": _text(values, "json_expected", 200),
        "latency_threshold_ms": _int(values, "latency_threshold_ms", 1, 600_000, required=False),
        "tls_expiry_warning_days": _int(values, "tls_expiry_warning_days", 1, 365, required=False),
    }
    if options["json_path"] and not _JSON_PATH.fullmatch(options["json_path"]):
        raise ServiceError("json_path is a dotted path such as data.status.", field="json_path")
    if options["json_expected"] and not options["json_path"]:
        raise ServiceError("json_expected needs a json_path.", field="json_path")
    if kind == Kind.DNS:
        # A DNS monitor's keyword is the value its answer must hold.
        return {name: DEFAULTS[name] for name in options} | {"keyword": options["keyword"]}
    if kind != Kind.HTTP:
        # Kept blank rather than refused: a form sends every field whatever the kind.
        return {name: DEFAULTS[name] for name in options}
    return options


def _dns_options(values: Mapping[str, Any], kind: str) -> dict[str, Any]:
    resolver = _text(values, "dns_resolver", 260)
    record_type = values.get("dns_record_type")
    if record_type in (None, ""):
        record_type = RecordType.A.value
    if isinstance(record_type, str):
        record_type = record_type.strip().upper()
    record_type = _choice({"dns_record_type": record_type}, "dns_record_type", RecordType.values)
    if kind != Kind.DNS:
        return {"dns_resolver": "", "dns_record_type": RecordType.A.value}
    if resolver:
        try:
            host, _port = split_resolver(resolver)
        except BadResolver:
            host = ""
        if not (_HOST.fullmatch(host) or (":" in host and _IP_LITERAL.fullmatch(host))):
            raise ServiceError(
                "dns_resolver is a host or host:port, e.g. 9.9.9.9, [2620:fe::fe]:53 or "
                "ns1.example.com:5353.",
                field="dns_resolver",
            )
    return {"dns_resolver": resolver, "dns_record_type": record_type}


def _regions(values: Mapping[str, Any]) -> dict[str, Any]:
    regions = values.get("regions")
    if isinstance(regions, str):
        regions = [r.strip() for r in regions.replace(",", " ").split()]
    if regions is None:
        regions = []
    if not isinstance(regions, list) or not all(
        isinstance(r, str) and _REGION.fullmatch(r) for r in regions
    ):
        raise ServiceError(
            "regions is a list of region names (lowercase letters, digits, dashes).",
            field="regions",
        )
    regions = list(dict.fromkeys(regions))
    unknown = [r for r in regions if r not in settings.MONITOR_REGIONS]
    if unknown:
        raise ServiceError(
            f"Unknown region {unknown[0]!r}; this install has: "
            + ", ".join(settings.MONITOR_REGIONS)
            + " (MONITOR_REGIONS).",
            field="regions",
        )
    required = _int(values, "regions_required", 1, 20)
    if required > max(len(regions), 1):
        raise ServiceError(
            "regions_required cannot exceed the number of regions.", field="regions_required"
        )
    return {"regions": regions, "regions_required": required}


def _url(values: Mapping[str, Any]) -> str:
    url = _text(values, "url", 2000, required=True)
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ServiceError("The URL's port is not valid.", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ServiceError("Enter an http:// or https:// URL.", field="url")
    if parts.username or parts.password:
        raise ServiceError("Put credentials in a header, not in the URL.", field="url")
    return url


def _host(values: Mapping[str, Any]) -> str:
    host = _text(values, "host", 253, required=True).strip("[]")
    if not (_HOST.fullmatch(host) or (":" in host and _IP_LITERAL.fullmatch(host))):
        raise ServiceError("Enter a host name or an IP address.", field="host")
    return host


def _headers(value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        value = _header_lines(value)
    if not isinstance(value, dict) or len(value) > 30:
        raise ServiceError("headers is an object of at most 30 names and values.", field="headers")
    for name, text in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise ServiceError(f"{str(name)[:40]!r} is not a header name.", field="headers")
        if name.lower() in _RESERVED_HEADERS:
            raise ServiceError(f"The check sets {name} itself.", field="headers")
        if not isinstance(text, str) or len(text) > 2000 or any(c in text for c in "\r\n\0"):
            raise ServiceError(f"The value of {name} is not a header value.", field="headers")
    return dict(value)


def _header_lines(text: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ServiceError("Write one header per line: Name: value.", field="headers")
        headers[name.strip()] = value.strip()
    return headers


def _statuses(value: Any) -> list[int]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list) or len(value) > 50:
        raise ServiceError(
            "expected_statuses is a list of HTTP status codes.", field="expected_statuses"
        )
    statuses = []
    for item in value:
        code = _as_int(item)
        if code is None or not 100 <= code <= 599:
            raise ServiceError(
                "expected_statuses holds HTTP status codes (100 to 599).", field="expected_statuses"
            )
        statuses.append(code)
    return sorted(set(statuses))


def _component(ref: Any) -> Component:
    if not isinstance(ref, str) or not ref:
        raise ServiceError("Choose the component the monitor drives.", field="component_id")
    component = Component.objects.filter(public_id=ref).first()
    if component is None:
        raise ServiceError("No such component.", field="component_id")
    return component


def _template(ref: Any) -> IncidentTemplate | None:
    if ref in (None, ""):
        return None
    pk = _as_int(ref)
    template = IncidentTemplate.objects.filter(pk=pk).first() if pk is not None else None
    if template is None:
        raise ServiceError("No such incident template.", field="incident_template_id")
    return template


def _text(values: Mapping[str, Any], name: str, limit: int, *, required: bool = False) -> str:
    value = values.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ServiceError(f"{name} must be a string.", field=name)
    value = value.strip()
    if required and not value:
        raise ServiceError(f"A monitor needs a {name}.", field=name)
    if len(value) > limit:
        raise ServiceError(f"{name} is too long (at most {limit} characters).", field=name)
    if any(ord(c) < 32 for c in value):
        raise ServiceError(f"{name} holds control characters.", field=name)
    return value


def _choice(values: Mapping[str, Any], name: str, choices: list[str]) -> str:
    value = values.get(name)
    if value not in choices:
        raise ServiceError(f"{name} must be one of: {', '.join(choices)}.", field=name)
    return str(value)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,9}\s*", value):
        return int(value)
    return None


def _int(
    values: Mapping[str, Any], name: str, low: int, high: int, *, required: bool = True
) -> Any:
    value = values.get(name)
    if value in (None, "") and not required:
        return None
    number = _as_int(value)
    if number is None or not low <= number <= high:
        raise ServiceError(f"{name} must be a whole number from {low} to {high}.", field=name)
    return number


_TRUE, _FALSE = {"true", "on", "1", "yes"}, {"false", "off", "0", "no", ""}


def _bool(values: Mapping[str, Any], name: str) -> bool:
    value = values.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ServiceError(f"{name} must be true or false.", field=name)
