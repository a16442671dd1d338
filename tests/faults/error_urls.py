"""A URLconf whose views raise RAISE, with the project's error handler."""

from django.urls import path

RAISE: Exception = RuntimeError("unset")


def boom(request):
    raise RAISE


urlpatterns = [path("dashboard/boom", boom), path("api/boom", boom)]
handler500 = "statuspage.errors.server_error"
