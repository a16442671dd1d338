"""The app's URLs with /uptime failing as settings.PUBLISH_TEST_FAILURE says: a server error
("500") or the read path's stale copy ("stale", as when the database is unreachable)."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import include, path

from statuspage.public_cache import mark_public


def failing_uptime(request):
    if settings.PUBLISH_TEST_FAILURE == "500":
        raise RuntimeError("a render that fails")
    response = mark_public(HttpResponse("<html><body>old</body></html>"))
    response["Cache-Control"] = "public, max-age=5, s-maxage=5, stale-if-error=86400"
    response["X-Statuspage-Stale"] = "1"
    return response


urlpatterns = [
    path("uptime", failing_uptime),
    path("", include("statuspage.urls")),
]
