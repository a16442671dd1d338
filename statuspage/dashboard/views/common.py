"""Helpers every dashboard view module shares."""

from django.contrib import messages

from incidents.queue import queue_is_reachable
from incidents.services import Actor
from statuspage.dashboard.permissions import DashboardRequest

QUEUE_DOWN_WARNING = (
    "Notifications are queued but not sent yet: the job queue (Redis) is unreachable. "
    "They will go out automatically when it is back."
)


def actor_for(request: DashboardRequest) -> Actor:
    """The signed-in operator, as the services record them."""
    return Actor.for_user(request.user, via="dashboard")


def form_status(form) -> int:
    """400 when a submitted form was refused, so clients and tests can tell."""
    return 400 if form.errors else 200


def warn_if_queue_down(request, *, notify: bool) -> None:
    """The outbox rows are written either way; the operator should know they are waiting."""
    if notify and not queue_is_reachable():
        messages.warning(request, QUEUE_DOWN_WARNING)
