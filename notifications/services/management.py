"""Operators managing subscribers: add, remove, resend the opt-in, import a CSV.

The dashboard and the management API both call these. Validation is the public subscribe
flow's (`subscriber_subscribe`); what differs for operators is that an address already
subscribed is an error to report, and that they may vouch for an address (no opt-in).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from incidents.models import Audience, Component, Page, default_page_id
from incidents.queue import enqueue_on_commit
from incidents.services import Actor, audit_record, audit_snapshot, page_id_of
from notifications.models import Channel, CreatedVia, Subscriber, SubscriberState
from notifications.services.subscriptions import (
    QUEUE,
    SubscribeError,
    normalise_address,
    subscriber_set_scope,
    subscriber_subscribe,
    subscriber_unsubscribe,
)

_AUDIT_FIELDS = ("channel", "address", "state", "all_components", "created_via")
IMPORT_COLUMNS = ("channel", "address", "contact_email", "components")
# Progress is written every this many rows: often enough for a progress bar, rarely enough
# not to double the work of a large import.
PROGRESS_EVERY = 25


class AlreadySubscribed(SubscribeError):
    """The address has an active subscription; an import counts it as skipped."""


def subscriber_create(
    *,
    actor: Actor,
    channel: str,
    address: str,
    contact_email: str = "",
    component_ids: list[int] | None = None,
    skip_confirmation: bool = False,
    via: str = CreatedVia.DASHBOARD,
    page: Page | None = None,
    audience_id: int | None = None,
) -> Subscriber:
    """Add a subscriber of `page` (None: the default page) for someone; components of other
    pages are refused. With `skip_confirmation` it is active at once and no confirmation goes
    out; otherwise the usual opt-in starts. `audience_id` places it in an audience of an
    audience-specific page (it then hears only what that audience sees). Raises
    SubscribeError."""
    normalised = normalise_address(channel, address)
    with transaction.atomic():
        if Subscriber.objects.filter(
            channel=channel,
            address=normalised,
            state=SubscriberState.ACTIVE,
            page_id=page_id_of(page),
        ).exists():
            raise AlreadySubscribed(f"{normalised} is already subscribed.", field="address")
        sub = subscriber_subscribe(
            channel=channel,
            address=normalised,
            contact_email=contact_email,
            component_ids=component_ids,
            via=via,
            confirmed=skip_confirmation,
            page=page,
            audience_id=audience_id,
        )
        audit_record(
            actor=actor,
            action="subscriber.create",
            obj=sub,
            after=audit_snapshot(sub, _AUDIT_FIELDS),
        )
    return sub


def subscriber_remove(*, actor: Actor, subscriber: Subscriber) -> Subscriber:
    """Unsubscribe (queued messages are cancelled with it); idempotent, always audited."""
    with transaction.atomic():
        before = audit_snapshot(subscriber, _AUDIT_FIELDS)
        subscriber = subscriber_unsubscribe(subscriber=subscriber)
        audit_record(
            actor=actor,
            action="subscriber.remove",
            obj=subscriber,
            before=before,
            after={"state": subscriber.state},
        )
    return subscriber


def subscriber_scope_change(
    *, actor: Actor, subscriber: Subscriber, component_ids: list[int]
) -> Subscriber:
    """Set the components a subscriber hears about (none: all of them); always audited."""
    with transaction.atomic():
        before = audit_snapshot(subscriber, _AUDIT_FIELDS)
        before["components"] = sorted(subscriber.components.values_list("id", flat=True))
        subscriber = subscriber_set_scope(subscriber=subscriber, component_ids=component_ids)
        after = audit_snapshot(subscriber, _AUDIT_FIELDS)
        after["components"] = sorted(subscriber.components.values_list("id", flat=True))
        audit_record(
            actor=actor, action="subscriber.scope", obj=subscriber, before=before, after=after
        )
    return subscriber


def subscriber_audience_change(
    *, actor: Actor, subscriber: Subscriber, audience_id: int | None
) -> Subscriber:
    """Move a subscriber to another audience of its own page (None: out of every audience;
    on an audience-specific page it then hears nothing of that page). Components the new
    audience does not see leave its scope; when none is left it hears of everything that
    audience sees rather than of nothing. Always audited. Raises SubscribeError."""
    page_id = subscriber.page_id or default_page_id()
    if audience_id is not None and (
        page_id is None or not Audience.objects.filter(pk=audience_id, page_id=page_id).exists()
    ):
        # Another page's audience would let this page's subscriber hear what it must not.
        raise SubscribeError("Choose an audience from the list.", field="audience")
    with transaction.atomic():
        sub = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        chosen = sorted(sub.components.values_list("id", flat=True))
        before = {**audit_snapshot(sub, _AUDIT_FIELDS), "audience": sub.audience_id}
        before["components"] = chosen
        kept = chosen
        if audience_id is not None:
            kept = sorted(
                Component.objects.filter(id__in=chosen, audiences=audience_id).values_list(
                    "id", flat=True
                )
            )
        sub.audience_id = audience_id
        sub.all_components = sub.all_components or not kept
        sub.updated_at = timezone.now()
        sub.save(update_fields=["audience", "all_components", "updated_at"])
        if kept != chosen:
            sub.components.set(kept)
        after = {**audit_snapshot(sub, _AUDIT_FIELDS), "audience": audience_id}
        after["components"] = kept
        audit_record(actor=actor, action="subscriber.audience", obj=sub, before=before, after=after)
    return sub


def subscriber_resend_confirmation(*, actor: Actor, subscriber: Subscriber) -> None:
    """Send the opt-in again (a fresh link or code). Only an unconfirmed subscriber has one;
    the wait for expiry restarts, as it would if they had subscribed again."""
    with transaction.atomic():
        sub = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if sub.state != SubscriberState.UNCONFIRMED:
            raise SubscribeError(f"Only unconfirmed subscribers get a confirmation ({sub.state}).")
        if sub.channel == Channel.SMS and sub.sms_opted_out:
            raise SubscribeError("This number sent STOP; it gets no messages until START.")
        now = timezone.now()
        Subscriber.objects.filter(pk=sub.pk).update(created_at=now, updated_at=now)
        enqueue_on_commit(
            "notifications.jobs.send_confirmation",
            sub.id,
            queue=QUEUE,
            job_id=f"notify-confirm-{sub.public_id}-{int(now.timestamp())}",
        )
        audit_record(actor=actor, action="subscriber.resend_confirmation", obj=sub)


@dataclass(frozen=True)
class ImportRowError:
    row: int  # 1 = the first row after the header
    data: dict[str, str]
    message: str


@dataclass
class ImportReport:
    created: int = 0
    skipped: int = 0
    errors: list[ImportRowError] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.created + self.skipped + len(self.errors)


def subscribers_import_csv(
    *,
    actor: Actor,
    rows: Iterable[Mapping[str, object]],
    skip_confirmation: bool,
    progress: Callable[[ImportReport], None] | None = None,
    page: Page | None = None,
) -> ImportReport:
    """Create a subscriber per row (`channel,address,contact_email,components`; components
    are `;`-separated names or public ids, blank = all). Each row is its own savepoint: a bad
    row is reported with its number and message and the good rows are kept. An address
    already subscribed, and an empty row, count as skipped. Every row subscribes to `page`
    (None: the default page), naming its components only."""
    components = _component_lookup(page)
    report = ImportReport()
    for number, raw in enumerate(rows, start=1):
        row = {key: _cell(raw, key) for key in IMPORT_COLUMNS}
        if not any(row.values()):
            report.skipped += 1
        else:
            try:
                with transaction.atomic():
                    subscriber_create(
                        actor=actor,
                        channel=row["channel"].lower(),
                        address=row["address"],
                        contact_email=row["contact_email"],
                        component_ids=_component_ids(row["components"], components),
                        skip_confirmation=skip_confirmation,
                        via=CreatedVia.IMPORT,
                        page=page,
                    )
            except AlreadySubscribed:
                report.skipped += 1
            except SubscribeError as exc:
                report.errors.append(ImportRowError(number, row, exc.message))
            else:
                report.created += 1
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(report)
    if progress is not None:
        progress(report)
    return report


def _cell(raw: Mapping[str, object], key: str) -> str:
    # csv.DictReader gives None for missing cells and lists for surplus ones.
    value = raw.get(key) if isinstance(raw, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _component_lookup(page: Page | None) -> dict[str, int]:
    lookup: dict[str, int] = {}
    rows = Component.objects.filter(page_id=page_id_of(page)).values_list("id", "name", "public_id")
    for pk, name, public_id in rows:
        lookup[name.casefold()] = pk
        lookup[public_id.casefold()] = pk
    return lookup


def _component_ids(cell: str, lookup: dict[str, int]) -> list[int]:
    ids, unknown = [], []
    for item in (part.strip() for part in cell.split(";")):
        if not item:
            continue
        if item.casefold() in lookup:
            ids.append(lookup[item.casefold()])
        else:
            unknown.append(item)
    if unknown:
        raise SubscribeError(f"Unknown component: {', '.join(unknown)}.", field="components")
    return sorted(set(ids))
