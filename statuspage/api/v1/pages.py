"""GET /api/v1/pages and /api/v1/pages/{page_id}: the one page of this install."""

from __future__ import annotations

from django.http import HttpResponse

from incidents import selectors, wire
from incidents.models import Page
from statuspage.access.models import Scope
from statuspage.api.v1.http import ApiRequest, api_view, json_response


def page_json(page: Page) -> wire.PageDict:
    return wire.page_dict(page)


@api_view(GET=Scope.READ)
def page_list(request: ApiRequest) -> HttpResponse:
    return json_response([page_json(selectors.page_get())])


@api_view(GET=Scope.READ)
def page_detail(request: ApiRequest) -> HttpResponse:
    return json_response(page_json(selectors.page_get()))
