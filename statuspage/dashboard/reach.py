""" "This will notify: …" beside the forms that send notifications, counted by the outbox's
own matching rules (notifications.selectors.reach_by_channel) before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from incidents.events import EventKind
from incidents.models import Incident, IncidentComponent
from notifications.models import Channel
from notifications.selectors import reach_by_channel

KINDS = {v for k, v in vars(EventKind).items() if k.isupper()}


@dataclass(frozen=True)
class Reach:
    kind: str
    counts: dict[str, int]
    # A form where no component chosen yet means only subscribers to every component count.
    empty_means_all: bool = False
    components_chosen: bool = False

    @property
    def all_only(self) -> bool:
        return self.empty_means_all and not self.components_chosen

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def text(self) -> str:
        labels = dict(Channel.choices)
        parts = [
            f"{n} {labels[c] if c != Channel.EMAIL else 'email'}"
            for c, n in self.counts.items()
            if n
        ]
        if parts:
            text = f"This will notify {self.total} subscriber{'s' if self.total != 1 else ''}: "
            text += ", ".join(parts) + "."
        else:
            text = "This will notify nobody: no active subscriber matches."
        if self.all_only:
            text += " (Counting subscribers to all components; choose components to add theirs.)"
        if self.kind not in settings.NOTIFY_SMS_EVENTS:
            text += " SMS is not sent for this kind of update."
        return text


def reach_for(
    kind: str,
    component_ids=(),
    incident: Incident | None = None,
    *,
    all_only: bool = False,
    page: int | None = None,
) -> Reach:
    """With an incident, the components it already covers count too (as in the event).
    `page` (an id): whose subscribers count when neither an incident nor components say."""
    ids = set(component_ids)
    if incident is not None:
        ids |= set(
            IncidentComponent.objects.filter(incident=incident).values_list(
                "component_id", flat=True
            )
        )
    counts = reach_by_channel(
        kind=kind,
        component_ids=sorted(ids),
        incident_id=incident.id if incident else None,
        page=page,
    )
    return Reach(kind=kind, counts=counts, empty_means_all=all_only, components_chosen=bool(ids))
