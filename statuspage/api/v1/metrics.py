"""Statuspage's metrics API: `metrics_providers`, `metrics` and their data, in its shapes.

This install charts what is pushed to it: each page has one provider, of Statuspage's type
"Self" (its id derived from the page's), and pull providers (Datadog, New Relic, Librato,
Pingdom) answer a JSON 501. Data points (`POST metrics/{id}/data`, one point or a list; the
bulk `POST metrics/data`, points per metric id) go into the rollup store the monitors' response
times use, and so onto the public charts. Our one extension: a metric is shown under a
component, named by `component_id` when it is created.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse

from incidents import selectors as incident_selectors
from incidents.models import Page
from incidents.services import ServiceError
from statuspage.access.models import Scope
from statuspage.api.v1.http import (
    ApiError,
    ApiRequest,
    api_view,
    component_on_page,
    json_response,
    no_content,
    page_of,
    paginate,
)
from statuspage.api.v1.openapi_parts import ERRORS, array_of, json_body, ok, path_id, query, ref
from statuspage.api.v1.resources import METRIC, METRICS_PROVIDER, read
from statuspage.monitors import selectors
from statuspage.monitors.custom_metrics import (
    MAX_POINTS,
    data_point,
    metric_data_add,
    metric_data_reset,
    metric_delete,
    metric_save,
)
from statuspage.monitors.models import Metric

SELF = "Self"


def provider_id(page: Page | None = None) -> str:
    """The page's own provider: an id derived from the page's, the same on every call (None:
    the default page)."""
    page_id = (page or incident_selectors.page_get()).public_id
    return hashlib.sha256(f"metrics-provider:{page_id}".encode()).hexdigest()[:12]


def provider_dict(page: Page) -> dict[str, Any]:
    return {
        "id": provider_id(page),
        "type": SELF,
        "disabled": False,
        "metric_base_uri": None,
        "last_revalidated_at": None,
        "created_at": None,
        "updated_at": _ts(page.updated_at),
        "page_id": page.public_id,
    }


def metric_dict(metric: Metric, page: Page) -> dict[str, Any]:
    return {
        "id": metric.public_id,
        # The provider of the page the metric's component is on (the request's page).
        "metrics_provider_id": provider_id(page),
        "metric_identifier": metric.metric_identifier,
        "name": metric.name,
        "display": metric.display,
        "tooltip_description": metric.tooltip_description,
        "backfilled": False,
        "y_axis_min": metric.y_axis_min,
        "y_axis_max": metric.y_axis_max,
        "y_axis_hidden": metric.y_axis_hidden,
        "suffix": metric.suffix,
        "decimal_places": metric.decimal_places,
        "most_recent_data_at": _ts(metric.most_recent_data_at),
        "created_at": _ts(metric.created_at),
        "updated_at": _ts(metric.updated_at),
        "last_fetched_at": None,
        "backfill_percentage": 100,
        "reference_name": None,
        "component_id": metric.component.public_id,
    }


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _point_dict(at: datetime, value: float) -> dict[str, Any]:
    return {"timestamp": int(at.timestamp()), "value": value}


def _check_provider(page: Page, metrics_provider_id: str) -> None:
    if metrics_provider_id != provider_id(page):
        raise ApiError(404, "No metrics provider with that id.")


def _self_only(request: ApiRequest) -> None:
    data = read(request, METRICS_PROVIDER)
    kind = data.get("type", SELF)
    if kind != SELF:
        raise ApiError(
            501,
            f"The {str(kind)[:40]} metrics provider is not implemented: this install charts "
            f"the data pushed to it (type {SELF!r}, POST metrics/{{metric_id}}/data).",
        )


def page_metrics(page: Page) -> QuerySet[Metric]:
    """The page's metrics: those under its components."""
    return selectors.metrics().filter(component__page=page)


def _metric(page: Page, metric_id: str) -> Metric:
    metric = page_metrics(page).filter(public_id=metric_id).first()
    if metric is None:
        raise ApiError(404, "No metric with that id.")
    return metric


@api_view(GET=Scope.READ, POST=Scope.COMPONENTS)
def provider_list(request: ApiRequest) -> HttpResponse:
    if request.method == "POST":
        _self_only(request)
        return json_response(provider_dict(page_of(request)), status=201)
    return json_response([provider_dict(page_of(request))])


@api_view(GET=Scope.READ, PATCH=Scope.COMPONENTS, PUT=Scope.COMPONENTS)
def provider_detail(request: ApiRequest, metrics_provider_id: str) -> HttpResponse:
    _check_provider(page_of(request), metrics_provider_id)
    if request.method != "GET":
        _self_only(request)
    return json_response(provider_dict(page_of(request)))


@api_view(GET=Scope.READ, POST=Scope.COMPONENTS)
def provider_metrics(request: ApiRequest, metrics_provider_id: str) -> HttpResponse:
    _check_provider(page_of(request), metrics_provider_id)
    if request.method == "POST":
        return _create(request)
    page = page_of(request)
    rows = paginate(request, page_metrics(page), limit_param="per_page")
    return json_response([metric_dict(m, page) for m in rows])


@api_view(GET=Scope.READ)
def metric_list(request: ApiRequest) -> HttpResponse:
    page = page_of(request)
    rows = paginate(request, page_metrics(page), limit_param="per_page")
    return json_response([metric_dict(m, page) for m in rows])


def _metric_body(request: ApiRequest) -> dict[str, Any]:
    """The metric's fields; a component it names must be one of this page's."""
    data = read(request, METRIC)
    return component_on_page(page_of(request), data)


def _create(request: ApiRequest) -> HttpResponse:
    metric = metric_save(actor=request.api_actor, metric=None, data=_metric_body(request))
    page = page_of(request)
    return json_response(metric_dict(_metric(page, metric.public_id), page), status=201)


@api_view(GET=Scope.READ, PATCH=Scope.COMPONENTS, PUT=Scope.COMPONENTS, DELETE=Scope.COMPONENTS)
def metric_detail(request: ApiRequest, metric_id: str) -> HttpResponse:
    page = page_of(request)
    metric = _metric(page, metric_id)
    if request.method == "DELETE":
        metric_delete(actor=request.api_actor, metric=metric)
        return json_response(metric_dict(metric, page))
    if request.method != "GET":
        metric = metric_save(actor=request.api_actor, metric=metric, data=_metric_body(request))
    return json_response(metric_dict(_metric(page, metric.public_id), page))


@api_view(POST=Scope.COMPONENTS, DELETE=Scope.COMPONENTS)
def metric_data(request: ApiRequest, metric_id: str) -> HttpResponse:
    """One point (`{"data": {"timestamp", "value"}}`, answered in the same shape) or a list of
    them (`{"data": [...]}`, answered as a list)."""
    metric = _metric(page_of(request), metric_id)
    if request.method == "DELETE":
        metric_data_reset(actor=request.api_actor, metric=metric)
        return no_content()
    raw = _data(request)
    single = isinstance(raw, Mapping)
    items = [raw] if single else raw
    if not isinstance(items, list) or not items:
        raise ApiError.field("data", "data must be a point or a list of points.")
    points = _points(items, "data")
    metric_data_add(points_by_metric={metric: points})
    shaped = [_point_dict(at, value) for at, value in points]
    return json_response({"data": shaped[0] if single else shaped}, status=201)


@api_view(POST=Scope.COMPONENTS)
def metrics_data_bulk(request: ApiRequest) -> HttpResponse:
    """`{"data": {"<metric_id>": [{"timestamp", "value"}, ...], ...}}`: every metric's points
    in one transaction (one unknown id or bad point refuses the whole request)."""
    raw = _data(request)
    if not isinstance(raw, Mapping) or not raw:
        raise ApiError.field("data", "data maps metric ids to lists of points.")
    by_metric: dict[Metric, list[tuple[datetime, float]]] = {}
    answer: dict[str, list[dict[str, Any]]] = {}
    for metric_id, items in raw.items():
        field = f"data.{str(metric_id)[:20]}"
        metric = page_metrics(page_of(request)).filter(public_id=str(metric_id)).first()
        if metric is None:
            raise ApiError.field(field, f"No metric with the id {str(metric_id)[:20]!r}.")
        if isinstance(items, Mapping):
            items = [items]
        if not isinstance(items, list) or not items:
            raise ApiError.field(field, f"{field} must be a list of points.")
        by_metric[metric] = _points(items, field)
        answer[metric.public_id] = [_point_dict(at, v) for at, v in by_metric[metric]]
    with transaction.atomic():
        metric_data_add(points_by_metric=by_metric)
    return json_response(answer, status=201)


def _data(request: ApiRequest) -> Any:
    body = request.api_body
    unknown = sorted(set(body) - {"data"})
    if unknown:
        raise ApiError.field(unknown[0], f"Unknown field: {unknown[0]}.")
    if "data" not in body:
        raise ApiError(400, 'Send the points as {"data": {"timestamp": ..., "value": ...}}.')
    return body["data"]


def _points(items: list[Any], field: str) -> list[tuple[datetime, float]]:
    if len(items) > MAX_POINTS:
        raise ApiError.field(field, f"At most {MAX_POINTS} points per request.")
    try:
        return [data_point(item, field=f"{field}.{i}") for i, item in enumerate(items)]
    except ServiceError as exc:
        raise ApiError.field(exc.field or field, exc.message) from None


_TAGS = ["metrics"]
_BODY = json_body("metric", "MetricInput")
_PROVIDER_BODY = json_body("metrics_provider", "MetricsProviderInput")
_POINT = {
    "type": "object",
    "required": ["timestamp", "value"],
    "properties": {
        "timestamp": {"type": "integer", "description": "Unix time, in seconds"},
        "value": {"type": "number"},
    },
}
_POINT_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["data"],
                "properties": {
                    "data": {"oneOf": [_POINT, {"type": "array", "items": _POINT}]},
                },
            }
        }
    },
}
_POINTS_BY_METRIC = {"type": "object", "additionalProperties": {"type": "array", "items": _POINT}}
_BULK_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["data"],
                "properties": {"data": _POINTS_BY_METRIC},
            }
        }
    },
}
_PAGING = [query("page", "integer"), query("per_page", "integer", maximum=100)]

OPENAPI_PATHS = {
    "/pages/{page_id}/metrics_providers": {
        "get": {
            "summary": "List metrics providers (the page's own, type Self)",
            "tags": _TAGS,
            "responses": {"200": ok(array_of("MetricsProvider")), **ERRORS},
        },
        "post": {
            "summary": "Create a metrics provider (type Self: answers the page's own; pull "
            "providers answer 501)",
            "tags": _TAGS,
            "requestBody": _PROVIDER_BODY,
            "responses": {"201": ok(ref("MetricsProvider")), **ERRORS},
        },
    },
    "/pages/{page_id}/metrics_providers/{metrics_provider_id}": {
        "parameters": [path_id("metrics_provider_id")],
        "get": {
            "summary": "Get a metrics provider",
            "tags": _TAGS,
            "responses": {"200": ok(ref("MetricsProvider")), **ERRORS},
        },
        "patch": {
            "summary": "Update a metrics provider (only type Self)",
            "tags": _TAGS,
            "requestBody": _PROVIDER_BODY,
            "responses": {"200": ok(ref("MetricsProvider")), **ERRORS},
        },
    },
    "/pages/{page_id}/metrics_providers/{metrics_provider_id}/metrics": {
        "parameters": [path_id("metrics_provider_id")],
        "get": {
            "summary": "List a provider's metrics",
            "tags": _TAGS,
            "parameters": _PAGING,
            "responses": {"200": ok(array_of("Metric")), **ERRORS},
        },
        "post": {
            "summary": "Create a metric (component_id, our extension, is required)",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"201": ok(ref("Metric")), **ERRORS},
        },
    },
    "/pages/{page_id}/metrics": {
        "get": {
            "summary": "List metrics",
            "tags": _TAGS,
            "parameters": _PAGING,
            "responses": {"200": ok(array_of("Metric")), **ERRORS},
        },
    },
    "/pages/{page_id}/metrics/data": {
        "post": {
            "summary": "Add data points to several metrics (points per metric id)",
            "tags": _TAGS,
            "requestBody": _BULK_BODY,
            "responses": {"201": ok(_POINTS_BY_METRIC), **ERRORS},
        },
    },
    # Before the metric itself: the documented calls run their deletes in this order.
    "/pages/{page_id}/metrics/{metric_id}/data": {
        "parameters": [path_id("metric_id")],
        "post": {
            "summary": "Add data to a metric (one point, or a list of points)",
            "tags": _TAGS,
            "requestBody": _POINT_BODY,
            "responses": {
                "201": ok(
                    {
                        "type": "object",
                        "properties": {
                            "data": {"oneOf": [_POINT, {"type": "array", "items": _POINT}]}
                        },
                    }
                ),
                **ERRORS,
            },
        },
        "delete": {
            "summary": "Reset a metric's data",
            "tags": _TAGS,
            "responses": {"204": {"description": "Reset"}, **ERRORS},
        },
    },
    "/pages/{page_id}/metrics/{metric_id}": {
        "parameters": [path_id("metric_id")],
        "get": {
            "summary": "Get a metric",
            "tags": _TAGS,
            "responses": {"200": ok(ref("Metric")), **ERRORS},
        },
        "patch": {
            "summary": "Update a metric (fields left out keep their values)",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"200": ok(ref("Metric")), **ERRORS},
        },
        "put": {
            "summary": "Update a metric (same as PATCH)",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"200": ok(ref("Metric")), **ERRORS},
        },
        "delete": {
            "summary": "Delete a metric and its data",
            "tags": _TAGS,
            "responses": {"200": ok(ref("Metric")), **ERRORS},
        },
    },
}

_STR = {"type": "string"}
_STR_NULL = {"type": ["string", "null"]}
_NUM_NULL = {"type": ["number", "null"]}
_TS_NULL = {"type": ["string", "null"], "format": "date-time"}

OPENAPI_SCHEMAS = {
    "MetricsProvider": {
        "type": "object",
        "properties": {
            "id": _STR,
            "type": {"enum": [SELF]},
            "disabled": {"type": "boolean"},
            "metric_base_uri": _STR_NULL,
            "last_revalidated_at": _TS_NULL,
            "created_at": _TS_NULL,
            "updated_at": _TS_NULL,
            "page_id": _STR,
        },
    },
    "MetricsProviderInput": {
        "type": "object",
        "properties": {
            "type": {"enum": [SELF, "Pingdom", "NewRelic", "Librato", "Datadog"]},
            "email": _STR,
            "password": _STR,
            "api_key": _STR,
            "api_token": _STR,
            "application_key": _STR,
            "metric_base_uri": _STR,
        },
    },
    "Metric": {
        "type": "object",
        "properties": {
            "id": _STR,
            "metrics_provider_id": _STR,
            "metric_identifier": _STR,
            "name": _STR,
            "display": {"type": "boolean"},
            "tooltip_description": _STR,
            "backfilled": {"type": "boolean"},
            "y_axis_min": _NUM_NULL,
            "y_axis_max": _NUM_NULL,
            "y_axis_hidden": {"type": "boolean"},
            "suffix": _STR,
            "decimal_places": {"type": "integer"},
            "most_recent_data_at": _TS_NULL,
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "last_fetched_at": _TS_NULL,
            "backfill_percentage": {"type": "integer"},
            "reference_name": _STR_NULL,
            "component_id": _STR,
        },
    },
    "MetricInput": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 100},
            "component_id": _STR,
            "metric_identifier": {"type": "string", "maxLength": 200},
            "suffix": {"type": "string", "maxLength": 20},
            "tooltip_description": {"type": "string", "maxLength": 300},
            "display": {"type": "boolean"},
            "decimal_places": {"type": "integer", "minimum": 0, "maximum": 4},
            "y_axis_min": _NUM_NULL,
            "y_axis_max": _NUM_NULL,
            "y_axis_hidden": {"type": "boolean"},
            "transform": {
                "type": "string",
                "description": "Accepted and ignored: charts "
                "show each bucket's mean, minimum and maximum",
            },
            "application_id": {"type": "string", "description": "Accepted and ignored"},
        },
    },
}
