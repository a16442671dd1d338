"""A key of page A never reaches page B. Every /api/v1 route, enumerated from the URLconf (a
route added later is swept without being listed here), is called with every method by an
all-scopes key scoped to page A, its owner an install-wide admin (so neither scope nor role
refuses anything): naming page B answers 404, and so does naming page A with B's object ids;
no answer holds any of B's names or ids, and nothing is written."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver

from incidents import services
from incidents.models import AuditEntry, Component, Incident, Page
from incidents.services import Actor
from notifications.models import Subscriber
from statuspage.access.models import Membership, Role, Scope
from statuspage.access.services import api_key_create
from statuspage.api.v1 import urls as v1_urls
from statuspage.api.v1.metrics import provider_id
from statuspage.monitors.custom_metrics import metric_save
from statuspage.monitors.models import Metric
from statuspage.monitors.services import monitor_save
from tests.api.v1.conftest import ApiClient
from tests.page_objects import core_objects

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
SECRET = "bsecret"  # in every name on page B: it must never appear in an answer to A's key


def _objects_of(page: Page, tag: str) -> dict[str, str]:
    """One of everything on `page`, named with `tag`; the URL kwargs that name them."""
    actor = services.SYSTEM
    made = core_objects(page, tag)
    group, component, incident = made.group, made.component, made.incident
    subscriber = made.subscriber
    monitor = monitor_save(
        actor=actor,
        monitor=None,
        data={
            "name": f"{tag} monitor",
            "kind": "dns",
            "host": "example.com",
            "component_id": component.public_id,
        },
    )
    metric = metric_save(
        actor=actor,
        metric=None,
        data={"name": f"{tag} metric", "component_id": component.public_id},
    )
    audience = services.audience_save(
        actor=actor, page=page, name=f"{tag} audience", slug="aud", components=[component]
    )
    return {
        "audience_id": audience.public_id,
        "page_id": page.public_id,
        "component_id": component.public_id,
        "group_id": group.public_id,
        "incident_id": incident.public_id,
        "update_id": incident.updates.get().public_id,
        "subscriber_id": subscriber.public_id,
        "monitor_id": monitor.public_id,
        "metric_id": Metric.objects.get(pk=metric.pk).public_id,
        "metrics_provider_id": provider_id(page),
    }


@pytest.fixture
def two_pages(page):
    page_b = Page.objects.create(name=f"{SECRET} page", slug="b", time_zone="Etc/UTC")
    return _objects_of(page, "alpha"), _objects_of(page_b, SECRET)


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    # The sweep sends several hundred requests with one key.
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000


@pytest.fixture
def key_of_a(page):
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    Membership.objects.create(user=user, role=Role.ADMIN)
    _key, raw = api_key_create(
        actor=Actor(label="test", via="test"),
        owner=user,
        name="page A only",
        scopes=list(Scope.values),
        pages=[page],
    )
    return raw


def _routes() -> list[URLPattern]:
    """Every route of the v1 URLconf, as mounted in the project's (found by its module)."""

    def walk(patterns, prefix: str):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.urlconf_module is v1_urls:
                    return prefix + str(entry.pattern), list(entry.url_patterns)
                found = walk(entry.url_patterns, prefix + str(entry.pattern))
                if found:
                    return found
        return None

    found = walk(get_resolver().url_patterns, "/")
    assert found, "the v1 URLconf is not mounted"
    mount, patterns = found
    assert all(isinstance(p, URLPattern) for p in patterns)
    return [(mount, p) for p in patterns]


def _url(mount: str, pattern: URLPattern, ids: dict[str, str]) -> str:
    route = str(pattern.pattern)
    if route.startswith("^"):
        # A regular expression route (not implemented features, the catch-all): its literal
        # form, any page segment naming the given page.
        route = route.strip("^$").replace("(?:\\.json)?", "").replace(".*", "anything")
        route = re.sub(r"pages/\[\^/\.\]\+/", f"pages/{ids['page_id']}/", route)
        route = route.replace("\\", "")
    else:
        route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ids[m.group(1)], route)
    return mount + route


def _written() -> tuple:
    return (
        AuditEntry.objects.count(),
        sorted(Component.objects.values_list("name", "status", "page_id")),
        sorted(Incident.objects.values_list("name", "status", "page_id")),
        sorted(Subscriber.objects.values_list("address", "state", "page_id")),
        sorted(Page.objects.values_list("name", "visibility")),
    )


def _body_for(route: str) -> dict:
    """A body every write route would act on if it got that far (each resource's wrapper
    with a field it accepts)."""
    return {
        "component": {"name": "x", "status": "degraded_performance"},
        "component_group": {"name": "x"},
        "incident": {"name": "x", "status": "resolved"},
        "incident_update": {"body": "x"},
        "template": {"name": "x", "title": "x", "body": "x"},
        "subscriber": {"email": "x@example.test"},
        "component_ids": [],
        "monitor": {"name": "x"},
        "metric": {"name": "x"},
        "metrics_provider": {"type": "Self"},
        "data": {"timestamp": 1, "value": 1},
        "page": {"name": "x", "visibility": "private"},
        "audience": {"name": "x", "slug": "x"},
    }


def _assert_nothing_of_b(response, b_ids: dict[str, str], where: str) -> None:
    text = response.content.decode()
    assert SECRET not in text, (where, text[:300])
    for name, value in b_ids.items():
        assert value not in text, (where, name, text[:300])


def test_every_route_naming_page_b_is_404(two_pages, key_of_a):
    a_ids, b_ids = two_pages
    client = ApiClient(key_of_a)
    before = _written()
    swept = 0
    for mount, pattern in _routes():
        if "page_id" not in str(pattern.pattern) and "pages/[" not in str(pattern.pattern):
            continue
        url = _url(mount, pattern, b_ids)
        for method in METHODS:
            response = getattr(client, method)(url, _body_for(url))
            where = f"{method.upper()} {url}"
            # 404 (no such page for this key); else answers that hold the same for every page
            # id, existing or not: the method the route does not take (405) or a feature not
            # implemented (501). Never anything that read or wrote page B.
            assert response.status_code in (404, 405, 501), (where, response.status_code)
            assert response["Content-Type"] == "application/json", where
            _assert_nothing_of_b(response, b_ids, where)
            swept += 1
    assert swept > 100
    assert _written() == before


def test_page_a_with_b_s_object_ids_is_404(two_pages, key_of_a):
    """The page is A's (the key may see it); every other id is B's object's."""
    a_ids, b_ids = two_pages
    client = ApiClient(key_of_a)
    mixed = {**b_ids, "page_id": a_ids["page_id"]}
    before = _written()
    for mount, pattern in _routes():
        route = str(pattern.pattern)
        named = set(re.findall(r"<(?:\w+:)?(\w+)>", route)) - {"page_id"}
        if "page_id" not in route or not named:
            continue
        url = _url(mount, pattern, mixed)
        for method in METHODS:
            response = getattr(client, method)(url, _body_for(url))
            where = f"{method.upper()} {url}"
            assert response.status_code in (404, 405), (where, response.status_code)
            _assert_nothing_of_b(response, {k: b_ids[k] for k in named}, where)
    assert _written() == before


def test_writes_on_page_a_cannot_name_b_s_components(two_pages, key_of_a):
    a_ids, b_ids = two_pages
    client = ApiClient(key_of_a)
    base = f"/api/v1/pages/{a_ids['page_id']}"
    before = _written()
    bodies = {
        "/incidents": {"incident": {"name": "x", "component_ids": [b_ids["component_id"]]}},
        "/component-groups": {
            "component_group": {"name": "x", "components": [b_ids["component_id"]]}
        },
        "/components": {"component": {"name": "x", "group_id": b_ids["group_id"]}},
        "/monitors": {
            "monitor": {
                "name": "x",
                "kind": "dns",
                "host": "example.com",
                "component_id": b_ids["component_id"],
            }
        },
        "/metrics_providers/{}/metrics".format(a_ids["metrics_provider_id"]): {
            "metric": {"name": "x", "component_id": b_ids["component_id"]}
        },
        "/incident_templates": {
            "template": {
                "name": "x",
                "title": "x",
                "body": "x",
                "component_ids": [b_ids["component_id"]],
            }
        },
        "/subscribers": {
            "subscriber": {"email": "y@example.test", "component_ids": [b_ids["component_id"]]}
        },
        "/metrics/data": {"data": {b_ids["metric_id"]: [{"timestamp": 1, "value": 1}]}},
    }
    for path, body in bodies.items():
        response = client.post(base + path, body)
        assert response.status_code == 422, (path, response.status_code, response.content)
        # The refusal may repeat the id the caller sent, never anything read from page B.
        _assert_nothing_of_b(response, {}, path)
    assert _written() == before


def test_the_page_list_shows_only_the_key_s_pages(two_pages, key_of_a):
    a_ids, b_ids = two_pages
    response = ApiClient(key_of_a).get("/api/v1/pages")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()] == [a_ids["page_id"]]
    _assert_nothing_of_b(response, b_ids, "GET /api/v1/pages")


def test_routes_without_a_page_refuse_a_key_of_some_pages(two_pages, key_of_a):
    """The integrations find components by id on any page: only a key of every page may."""
    _a_ids, b_ids = two_pages
    response = ApiClient(key_of_a).post(
        "/api/v1/integrations/component-status",
        {"component_id": b_ids["component_id"], "status": "operational"},
    )
    assert response.status_code == 403
    assert Component.objects.get(public_id=b_ids["component_id"]).status == "major_outage"
