"""GET /api/v1/pages (the pages the key may see), GET and PATCH /api/v1/pages/{page_id}."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from incidents import services, wire
from incidents.models import Page, Visibility
from statuspage.access.models import Scope
from statuspage.access.selectors import key_pages
from statuspage.api.v1 import fields as f
from statuspage.api.v1.http import ApiError, ApiRequest, api_view, json_response, page_of
from statuspage.api.v1.openapi_parts import ERRORS, array_of, json_body, ok, ref
from statuspage.api.v1.resources import PAGE, read

MAX_HOSTS = 50


def page_json(page: Page, hosts: list[str]) -> dict[str, Any]:
    """Statuspage's page fields, and ours: `hosts` and `visibility`."""
    return {
        **wire.page_dict(page),
        "subdomain": page.slug,
        "domain": hosts[0] if hosts else None,
        "hosts": hosts,
        "visibility": page.visibility,
    }


def _hosts_by_page(pages: list[Page]) -> dict[int, list[str]]:
    by_page: dict[int, list[str]] = {p.pk: [] for p in pages}
    for page in pages:
        by_page[page.pk] = [h.host for h in page.hosts.all()]
    return by_page


@api_view(GET=Scope.READ, any_page=True)
def page_list(request: ApiRequest) -> HttpResponse:
    pages = list(key_pages(request.api_key).prefetch_related("hosts"))
    hosts = _hosts_by_page(pages)
    return json_response([page_json(p, hosts[p.pk]) for p in pages])


def _one(page: Page) -> HttpResponse:
    return json_response(page_json(page, list(page.hosts.values_list("host", flat=True))))


@api_view(GET=Scope.READ, PATCH=Scope.COMPONENTS)
def page_detail(request: ApiRequest) -> HttpResponse:
    page = page_of(request)
    if request.method == "GET":
        return _one(page)
    data = read(request, PAGE)
    changes: dict[str, Any] = {}
    for name in ("name", "url", "time_zone"):
        value = f.text(data, name, max_length=200)
        if value is not f.MISSING:
            changes[name] = value.strip()
    if "visibility" in data:
        if data["visibility"] not in Visibility.values:
            raise ApiError.field(
                "visibility", "visibility must be one of: " + ", ".join(Visibility.values) + "."
            )
        changes["visibility"] = data["visibility"]
    if "hosts" in data:
        hosts = data["hosts"]
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            raise ApiError.field("hosts", "hosts must be a list of host names.")
        if len(hosts) > MAX_HOSTS:
            raise ApiError.field("hosts", f"A page answers on at most {MAX_HOSTS} host names.")
        changes["hosts"] = hosts
    page = services.page_update(page, actor=request.api_actor, **changes)
    return _one(page)


_PAGE_EDIT = {
    "summary": "Edit the page",
    "description": "Needs the components:write scope and the admin role on this page. "
    "`hosts` replaces the page's host names. `visibility`: `public`, or `private` and "
    "`audience`, which serve nothing without a signed-in reader (docs/pages.md).",
    "tags": ["pages"],
    "requestBody": json_body("page", "PageInput"),
    "responses": {"200": ok(ref("Page")), **ERRORS},
}

OPENAPI_PATHS = {
    "/pages": {
        "get": {
            "summary": "List the pages this key may see",
            "tags": ["pages"],
            "responses": {"200": ok(array_of("Page")), **ERRORS},
        }
    },
    "/pages/{page_id}": {
        "get": {
            "summary": "Get the page",
            "tags": ["pages"],
            "responses": {"200": ok(ref("Page")), **ERRORS},
        },
        "patch": _PAGE_EDIT,
    },
}
