"""Helpers every dashboard view module shares."""

from incidents.services import Actor


def actor_for(request) -> Actor:
    """The signed-in operator, as the services record them."""
    return Actor.for_user(request.user, via="dashboard")


def form_status(form) -> int:
    """400 when a submitted form was refused, so clients and tests can tell."""
    return 400 if form.errors else 200
