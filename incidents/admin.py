"""Django admin: raw data management. Anything that changes a status goes through services."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

import django_stubs_ext
from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from incidents import services
from incidents.enums import ComponentStatus, IncidentStatus
from incidents.models import (
    AuditEntry,
    Component,
    ComponentGroup,
    ComponentStatusChange,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Page,
)
from incidents.services import Actor, ServiceError

# Django's admin and form classes take no type arguments at runtime; django-stubs-ext lets
# them, so each admin below names its model (admin.ModelAdmin[Page]) for the type checker.
django_stubs_ext.monkeypatch()

_M = TypeVar("_M", bound=models.Model)


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user, via="admin")


class ReadOnlyAdmin(admin.ModelAdmin[_M]):
    """For logs: visible, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False


@admin.register(Page)
class PageAdmin(admin.ModelAdmin[Page]):
    list_display = ("name", "url", "time_zone", "public_id", "generation")
    readonly_fields = ("public_id", "generation", "updated_at")

    def has_delete_permission(self, request: HttpRequest, obj: Page | None = None) -> bool:
        return False


@admin.register(ComponentGroup)
class ComponentGroupAdmin(admin.ModelAdmin[ComponentGroup]):
    list_display = ("name", "position", "collapsed", "public_id")
    readonly_fields = ("public_id",)
    _FIELDS = ("name", "description", "position", "collapsed")

    def save_model(
        self,
        request: HttpRequest,
        obj: ComponentGroup,
        form: forms.ModelForm[ComponentGroup],
        change: bool,
    ) -> None:
        data = {name: form.cleaned_data[name] for name in self._FIELDS}
        if change:
            services.component_group_update(group=obj, actor=_actor(request), **data)
        else:
            obj.pk = services.component_group_create(actor=_actor(request), **data).pk


class _ComponentAction(Protocol):
    """An admin action on components, named (`__name__`) for the action list."""

    __name__: str

    def __call__(
        self,
        modeladmin: admin.ModelAdmin[Component],
        request: HttpRequest,
        queryset: QuerySet[Component],
    ) -> None: ...


def _status_action(status: ComponentStatus) -> _ComponentAction:
    @admin.action(description=f"Set status: {status.label}")
    def action(
        modeladmin: admin.ModelAdmin[Component], request: HttpRequest, queryset: QuerySet[Component]
    ) -> None:
        for component in queryset:
            services.component_status_set(component=component, status=status, actor=_actor(request))
        modeladmin.message_user(request, f"Set {queryset.count()} component(s) to {status.label}.")

    action.__name__ = f"set_{status.value}"
    return action


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin[Component]):
    list_display = ("name", "group", "status", "base_status", "position", "showcase", "public_id")
    list_filter = ("status", "group")
    readonly_fields = ("public_id", "status", "base_status", "created_at", "updated_at")
    actions = [_status_action(s) for s in ComponentStatus if s != ComponentStatus.UNDER_MAINTENANCE]
    _FIELDS = (
        "name",
        "description",
        "group",
        "position",
        "showcase",
        "only_show_if_degraded",
        "start_date",
    )

    def save_model(
        self, request: HttpRequest, obj: Component, form: forms.ModelForm[Component], change: bool
    ) -> None:
        data = {name: form.cleaned_data[name] for name in self._FIELDS if name in form.cleaned_data}
        if change:
            services.component_update(component=obj, actor=_actor(request), **data)
        else:
            created = services.component_create(actor=_actor(request), **data)
            obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: Component) -> None:
        services.component_delete(component=obj, actor=_actor(request))


@admin.register(ComponentStatusChange)
class ComponentStatusChangeAdmin(ReadOnlyAdmin[ComponentStatusChange]):
    list_display = ("component", "old_status", "new_status", "at", "source", "actor")
    list_filter = ("source", "new_status")
    date_hierarchy = "at"


_Update = TypeVar("_Update", IncidentUpdate, MaintenanceUpdate)
_Parent = TypeVar("_Parent", Incident, Maintenance)


class _UpdateInline(admin.TabularInline[_Update, _Parent]):
    """The updates of an incident or a maintenance window, read only."""

    fields = ("display_at", "status", "body", "deliver_notifications")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: _Parent | None = None) -> bool:
        return False


class IncidentUpdateInline(_UpdateInline[IncidentUpdate, Incident]):
    model = IncidentUpdate


class IncidentCreateForm(forms.ModelForm[Incident]):
    """Declares an incident through incident_create (the dashboard does this better)."""

    body = forms.CharField(widget=forms.Textarea, help_text="First update, Markdown.")
    affected = forms.ModelMultipleChoiceField(Component.objects.all(), required=False)
    component_status = forms.ChoiceField(
        choices=[c for c in ComponentStatus.choices if c[0] != ComponentStatus.UNDER_MAINTENANCE],
        initial=ComponentStatus.MAJOR_OUTAGE,
    )
    notify = forms.BooleanField(required=False, initial=True)

    class Meta:
        model = Incident
        fields = ("name", "status", "impact_override")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin[Incident]):
    list_display = ("name", "status", "impact", "started_at", "resolved_at", "public_id")
    list_filter = ("status",)
    search_fields = ("name",)
    inlines = [IncidentUpdateInline]
    actions = ["resolve"]

    def get_form(
        self, request: HttpRequest, obj: Incident | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Incident]]:
        if obj is None:
            kwargs["form"] = IncidentCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(
        self, request: HttpRequest, obj: Incident | None
    ) -> list[type[admin.options.InlineModelAdmin[Any, Any]]]:
        return list(self.inlines) if obj is not None else []

    def get_readonly_fields(
        self, request: HttpRequest, obj: Incident | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ("public_id",)
        return (
            "public_id",
            "name",
            "status",
            "computed_impact",
            "impact_override",
            "started_at",
            "monitoring_at",
            "resolved_at",
            "backfilled",
            "postmortem_body",
            "postmortem_published_at",
            "created_at",
            "updated_at",
        )

    def save_model(
        self, request: HttpRequest, obj: Incident, form: forms.ModelForm[Incident], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)  # only the postmortem draft
            return
        data = form.cleaned_data
        try:
            created = services.incident_create(
                name=data["name"],
                status=data["status"],
                body=data["body"],
                impact_override=data["impact_override"] or None,
                notify=data["notify"],
                component_statuses={c: data["component_status"] for c in data["affected"]},
                actor=_actor(request),
            )
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = created.pk

    @admin.action(description="Resolve the selected incidents")
    def resolve(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        for incident in queryset.filter(
            status__in=[
                s
                for s in IncidentStatus
                if s not in (IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM)
            ]
        ):
            services.incident_resolve(
                incident=incident, body="This incident has been resolved.", actor=_actor(request)
            )


@admin.register(IncidentUpdate)
class IncidentUpdateAdmin(ReadOnlyAdmin[IncidentUpdate]):
    list_display = ("incident", "status", "display_at", "deliver_notifications")


class MaintenanceUpdateInline(_UpdateInline[MaintenanceUpdate, Maintenance]):
    model = MaintenanceUpdate


class MaintenanceForm(forms.ModelForm[Maintenance]):
    body = forms.CharField(widget=forms.Textarea, required=False)

    class Meta:
        model = Maintenance
        fields = (
            "name",
            "scheduled_for",
            "scheduled_until",
            "components",
            "auto_start",
            "auto_complete",
            "remind_before_minutes",
        )


@admin.register(Maintenance)
class MaintenanceAdmin(admin.ModelAdmin[Maintenance]):
    list_display = ("name", "status", "scheduled_for", "scheduled_until", "public_id")
    list_filter = ("status",)
    inlines = [MaintenanceUpdateInline]
    actions = ["start", "complete", "cancel"]

    def get_form(
        self,
        request: HttpRequest,
        obj: Maintenance | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm[Maintenance]]:
        if obj is None:
            kwargs["form"] = MaintenanceForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(
        self, request: HttpRequest, obj: Maintenance | None
    ) -> list[type[admin.options.InlineModelAdmin[Any, Any]]]:
        return list(self.inlines) if obj is not None else []

    def get_readonly_fields(
        self, request: HttpRequest, obj: Maintenance | None = None
    ) -> list[str] | tuple[str, ...]:
        if obj is None:
            return ()
        return [f.name for f in Maintenance._meta.fields] + ["components"]

    def save_model(
        self,
        request: HttpRequest,
        obj: Maintenance,
        form: forms.ModelForm[Maintenance],
        change: bool,
    ) -> None:
        if change:
            return
        data = form.cleaned_data
        created = services.maintenance_schedule(actor=_actor(request), **data)
        obj.pk = created.pk

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm[Maintenance],
        formsets: object,
        change: bool,
    ) -> None:
        """Components were set by the service; the admin must not set them again."""

    def _run(
        self, request: HttpRequest, queryset: QuerySet[Maintenance], service: _MaintenanceAction
    ) -> None:
        for maintenance in queryset:
            try:
                service(maintenance=maintenance, actor=_actor(request))
            except ServiceError as exc:
                self.message_user(request, f"{maintenance}: {exc.message}", messages.WARNING)

    @admin.action(description="Start the selected maintenance now")
    def start(self, request: HttpRequest, queryset: QuerySet[Maintenance]) -> None:
        self._run(request, queryset, services.maintenance_start)

    @admin.action(description="Complete the selected maintenance")
    def complete(self, request: HttpRequest, queryset: QuerySet[Maintenance]) -> None:
        self._run(request, queryset, services.maintenance_complete)

    @admin.action(description="Cancel the selected maintenance")
    def cancel(self, request: HttpRequest, queryset: QuerySet[Maintenance]) -> None:
        self._run(request, queryset, services.maintenance_cancel)


class _MaintenanceAction(Protocol):
    """A maintenance service an admin action runs on each selected window."""

    def __call__(self, *, maintenance: Maintenance, actor: Actor) -> Maintenance: ...


@admin.register(MaintenanceUpdate)
class MaintenanceUpdateAdmin(ReadOnlyAdmin[MaintenanceUpdate]):
    list_display = ("maintenance", "status", "display_at")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin[AuditEntry]):
    list_display = ("at", "actor", "via", "action", "object_type", "object_repr")
    list_filter = ("via", "object_type", "action")
    search_fields = ("actor", "object_repr", "object_id")
