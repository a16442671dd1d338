"""Shared steps of the delivery tests: run every pending event's first batch in-process, as a
worker would, and read a received message's plain and HTML parts."""

from __future__ import annotations

from notifications import jobs
from notifications.models import Event


def deliver_all() -> None:
    for event in Event.objects.order_by("id"):
        jobs.deliver_batch(event.id, 0)


def text_of(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def html_of(msg) -> str:
    return msg.get_body(("html",)).get_content()
