"""Subscribers and the delivery log: list, add, remove, resend, import, export, replay."""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.models import Component, Incident
from incidents.queue import enqueue_on_commit
from notifications import selectors
from notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    Subscriber,
    SubscriberImport,
    SubscriberState,
)
from notifications.services import (
    SubscribeError,
    deliveries_replay,
    subscriber_audience_change,
    subscriber_create,
    subscriber_remove,
    subscriber_resend_confirmation,
)
from statuspage.access.models import Role
from statuspage.dashboard.forms.subscribers import (
    DeliveryFilterForm,
    ReachForm,
    SubscriberAddForm,
    SubscriberAudienceForm,
    SubscriberFilterForm,
    SubscriberImportForm,
)
from statuspage.dashboard.permissions import operator_required
from statuspage.dashboard.reach import KINDS, reach_for
from statuspage.dashboard.views.common import actor_for, form_status

PER_PAGE = 50
REPLAY_LIMIT = 10_000
EXPORT_COLUMNS = [
    "public_id",
    "channel",
    "address",
    "contact_email",
    "state",
    "components",
    "created_via",
    "created_at",
    "confirmed_at",
]


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@operator_required(Role.VIEWER)
def subscriber_list(request):
    form = SubscriberFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else {}
    rows = selectors.subscriber_search(**filters, page=request.dashboard_page)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    # The audience column only where the page has audiences to place subscribers in.
    audiences = {a.pk: a.name for a in request.dashboard_page.audiences.all()}
    context = {
        "form": form,
        "page_obj": page,
        "query": _query_without_page(request),
        "counts": selectors.subscriber_counts(request.dashboard_page),
        "states": SubscriberState.values,
        "channel_labels": dict(Channel.choices),
        "audiences": audiences,
    }
    return render(request, "dashboard/subscribers/list.html", context, status=form_status(form))


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def subscriber_new(request):
    form = SubscriberAddForm(request.POST or None, page=request.dashboard_page)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sub = subscriber_create(
                actor=actor_for(request),
                channel=data["channel"],
                address=data["address"],
                contact_email=data["contact_email"],
                component_ids=[c.id for c in data["components"]],
                skip_confirmation=data["skip_confirmation"],
                page=request.dashboard_page,
                audience_id=data["audience"].pk if data["audience"] else None,
            )
        except SubscribeError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            done = "added" if sub.state == "active" else "added; a confirmation is on its way"
            messages.success(request, f"{sub.address} {done}.")
            return redirect("dashboard-subscriber-list")
    return render(
        request, "dashboard/subscribers/new.html", {"form": form}, status=form_status(form)
    )


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def subscriber_remove_view(request, public_id: str):
    """GET asks to confirm; POST unsubscribes."""
    sub = get_object_or_404(Subscriber, public_id=public_id, page=request.dashboard_page)
    if request.method == "POST":
        subscriber_remove(actor=actor_for(request), subscriber=sub)
        messages.success(request, f"{sub.address} unsubscribed.")
        return redirect("dashboard-subscriber-list")
    return render(request, "dashboard/subscribers/remove.html", {"subscriber": sub})


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def subscriber_audience(request, public_id: str):
    """GET shows the page's audiences; POST moves the subscriber to the one chosen."""
    sub = get_object_or_404(Subscriber, public_id=public_id, page=request.dashboard_page)
    # An empty POST is a choice too (no audience), so the form is bound on every POST.
    data = request.POST if request.method == "POST" else None
    initial = {"audience": sub.audience_id}
    form = SubscriberAudienceForm(data, initial=initial, page=request.dashboard_page)
    if request.method == "POST" and form.is_valid():
        audience = form.cleaned_data["audience"]
        try:
            subscriber_audience_change(
                actor=actor_for(request),
                subscriber=sub,
                audience_id=audience.pk if audience else None,
            )
        except SubscribeError as exc:
            form.add_error("audience", exc.message)
        else:
            where = f"moved to {audience.name}" if audience else "taken out of every audience"
            messages.success(request, f"{sub.address} {where}.")
            return redirect("dashboard-subscriber-list")
    return render(
        request,
        "dashboard/subscribers/audience.html",
        {"form": form, "subscriber": sub},
        status=form_status(form),
    )


@require_POST
@operator_required(Role.ADMIN)
def subscriber_resend(request, public_id: str):
    sub = get_object_or_404(Subscriber, public_id=public_id, page=request.dashboard_page)
    try:
        subscriber_resend_confirmation(actor=actor_for(request), subscriber=sub)
    except SubscribeError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Confirmation sent again to {sub.address}.")
    return redirect("dashboard-subscriber-list")


@require_http_methods(["GET", "POST"])
@operator_required(Role.VIEWER, write=Role.ADMIN)
def subscriber_import(request):
    """Admins upload; everyone sees the recent imports and their outcome."""
    form = SubscriberImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        actor = actor_for(request)
        with transaction.atomic():
            job = SubscriberImport.objects.create(
                page=request.dashboard_page,
                rows=form.rows,
                total=len(form.rows),
                skip_confirmation=form.cleaned_data["skip_confirmation"],
                filename=form.cleaned_data["file"].name[:200],
                actor_label=actor.label,
                actor_via=actor.via,
                actor_user_id=actor.user_id,
            )
            enqueue_on_commit(
                "notifications.jobs.run_subscriber_import",
                job.id,
                job_id=f"subscriber-import-{job.id}",
                unique=True,
            )
        return redirect("dashboard-subscriber-import-status", pk=job.pk)
    recent = SubscriberImport.objects.filter(page=request.dashboard_page).defer("rows")[:10]
    context = {"form": form, "recent": recent}
    return render(request, "dashboard/subscribers/import.html", context, status=form_status(form))


@require_GET
@operator_required(Role.VIEWER)
def subscriber_import_status(request, pk: int):
    job = get_object_or_404(
        SubscriberImport.objects.defer("rows"), pk=pk, page=request.dashboard_page
    )
    return render(request, "dashboard/subscribers/import_status.html", {"job": job})


class _Echo:
    def write(self, value):
        return value


def csv_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _export_rows(rows):
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for sub in rows.iterator(chunk_size=500):
        names = "" if sub.all_components else ";".join(c.name for c in sub.components.all())
        values = [getattr(sub, col, "") for col in EXPORT_COLUMNS]
        values[EXPORT_COLUMNS.index("components")] = names
        yield writer.writerow([csv_safe(v) for v in values])


@require_GET
@operator_required(Role.VIEWER)
def subscriber_export(request):
    form = SubscriberFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else {}
    response = StreamingHttpResponse(
        _export_rows(selectors.subscriber_search(**filters, page=request.dashboard_page)),
        content_type="text/csv",
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="subscribers-{stamp}.csv"'
    return response


@require_GET
@operator_required(Role.VIEWER)
def delivery_list(request):
    form = DeliveryFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else {}
    rows = selectors.delivery_search(**filters, page=request.dashboard_page)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page, "query": _query_without_page(request)}
    return render(
        request, "dashboard/subscribers/deliveries.html", context, status=form_status(form)
    )


@require_GET
@operator_required(Role.VIEWER)
def delivery_detail(request, pk: int):
    """One outbox row and its attempt log, newest first: what each try got back."""
    row = get_object_or_404(
        Delivery.objects.select_related("subscriber", "event"),
        pk=pk,
        subscriber__page=request.dashboard_page,
    )
    context = {
        "d": row,
        "attempts": selectors.delivery_attempt_log(delivery_id=row.pk),
        "shown": selectors.ATTEMPTS_SHOWN,
        "retention_days": settings.NOTIFY_ATTEMPT_RETENTION_DAYS,
    }
    return render(request, "dashboard/subscribers/delivery.html", context)


@require_POST
@operator_required(Role.ADMIN)
def delivery_replay(request):
    """Replay the ticked dead rows, or (scope=all) every dead row matching the filter."""
    form = DeliveryFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The filter is not valid; nothing was replayed.")
        return redirect("dashboard-deliveries")
    if request.POST.get("scope") == "all":
        filters = {**form.filters(), "state": DeliveryState.DEAD}
        rows = selectors.delivery_search(**filters, page=request.dashboard_page)
        ids = list(rows.values_list("id", flat=True)[:REPLAY_LIMIT])
    else:
        ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()][:REPLAY_LIMIT]
    count = deliveries_replay(delivery_ids=ids) if ids else 0
    messages.success(request, f"{count} deliveries replayed." if count else "Nothing to replay.")
    return redirect(f"{reverse('dashboard-deliveries')}?{_filter_query(form)}")


def _filter_query(form) -> str:
    keys = ("q", "state", "channel", "event", "date_from", "date_to")
    return urlencode({k: form.data[k] for k in keys if form.data.get(k)})


@require_GET
@operator_required(Role.VIEWER)
def reach(request):
    """JSON for the "This will notify" line when the chosen components change."""
    page = request.dashboard_page
    form = ReachForm(
        request.GET, component_ids=Component.objects.filter(page=page).values_list("id", flat=True)
    )
    if not form.is_valid() or form.cleaned_data["kind"] not in KINDS:
        return JsonResponse({"error": "Unknown event kind or component."}, status=400)
    incident = None
    if form.cleaned_data["incident"]:
        incident = Incident.objects.filter(
            public_id=form.cleaned_data["incident"], page=page
        ).first()
        if incident is None:
            raise Http404("No such incident.")
    result = reach_for(
        form.cleaned_data["kind"],
        form.cleaned_data["components"],
        incident,
        all_only=request.GET.get("all_only") == "1",
        page=page.pk,
    )
    return JsonResponse({"counts": result.counts, "total": result.total, "text": result.text})
