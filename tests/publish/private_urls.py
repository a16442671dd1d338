"""The app's URLs with a front page that is not a public document (as a private page's
will be): for the publishing guard's test."""

from django.http import HttpResponse
from django.urls import include, path


def private_index(request):
    response = HttpResponse("<html><body>members only</body></html>")
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("", private_index),
    path("", include("statuspage.urls")),
]
