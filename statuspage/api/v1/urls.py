"""/api/v1/ routes. Every resource lives under pages/<page_id>/, as in Statuspage's API."""

from django.urls import path, re_path

from statuspage.api.v1 import integrations, pages
from statuspage.api.v1.http import ApiError, error_response

PAGE = "pages/<str:page_id>/"


def not_found(request, *args, **kwargs):
    return error_response(ApiError(404, "No such endpoint."))


urlpatterns = [
    path("pages", pages.page_list, name="api-v1-pages"),
    path("pages/<str:page_id>", pages.page_detail, name="api-v1-page"),
    path(
        "integrations/alertmanager",
        integrations.alertmanager,
        name="api-v1-integrations-alertmanager",
    ),
    path(
        "integrations/component-status",
        integrations.component_status,
        name="api-v1-integrations-component-status",
    ),
    re_path(r"^.*$", not_found, name="api-v1-not-found"),
]
