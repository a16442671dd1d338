"""Parts of Statuspage's management API this app does not offer (yet): a JSON 501 that names the
missing feature, for every method, so a client learns why instead of meeting a 404 that reads
like a wrong URL. No key is needed: the answer reveals nothing and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from statuspage.api.v1.http import ApiError, error_response

_PAGE = r"pages/[^/.]+/"
# (path under /api/v1/ as a regular expression, without `.json`; feature; why it is missing)
FEATURES: tuple[tuple[str, str, str], ...] = (
    (
        _PAGE + r"page_access_(?:users|groups)(?:/.*)?",
        "page access users and groups",
        "Audience-specific pages are not offered through the API.",
    ),
    (
        _PAGE + r"components/[^/]+/page_access_(?:users|groups)",
        "page access users and groups",
        "Audience-specific pages are not offered through the API.",
    ),
    (
        _PAGE + r"incidents/[^/]+/postmortem(?:/.*)?",
        "postmortems",
        "Postmortems are written and published in the dashboard.",
    ),
    (
        _PAGE + r"incidents/[^/]+/subscribers(?:/.*)?",
        "incident subscribers",
        "Subscriptions to a single incident are not offered through the API.",
    ),
    (
        _PAGE
        + r"subscribers/(?:unsubscribe|reactivate|resend_confirmation|histogram_by_state"
        + r"|unsubscribed)",
        "bulk subscriber operations",
        "Subscribers are managed one at a time (subscribers/{id}).",
    ),
    (
        _PAGE + r"component-groups/[^/]+/uptime",
        "component group uptime",
        "Uptime is answered per component (components/{id}/uptime).",
    ),
    (
        _PAGE + r"status_embed_config",
        "status embed configuration",
        "The embed's colours and corner are set in settings (docs/api.md, Embedding).",
    ),
    (
        r"organizations/.*",
        "organization users and permissions",
        "Operators and their roles are managed in the dashboard (Operators).",
    ),
)


def not_implemented(feature: str, reason: str) -> Callable[..., HttpResponse]:
    @csrf_exempt
    def view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        return error_response(
            ApiError(501, f"The {feature} part of Statuspage's API is not implemented. {reason}")
        )

    return view
