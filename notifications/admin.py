"""Admin: subscribers and the outbox, for looking; changes go through services."""

import django_stubs_ext
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from notifications.models import Delivery, Event, Subscriber
from notifications.services import deliveries_replay

# Django's admin classes take no type arguments at runtime; django-stubs-ext lets them, so
# each admin below names its model (admin.ModelAdmin[Subscriber]) for the type checker.
django_stubs_ext.monkeypatch()


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin[Subscriber]):
    list_display = ("address", "channel", "state", "confirmed_at", "created_via", "created_at")
    list_filter = ("channel", "state", "created_via")
    search_fields = ("address", "contact_email", "public_id")
    readonly_fields = ("public_id", "secret", "confirm_code_hash", "created_at", "updated_at")
    filter_horizontal = ("components",)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ("kind", "created_at", "incident", "maintenance")
    list_filter = ("kind",)

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = ("id", "event", "subscriber", "channel", "state", "attempts", "last_error")
    list_filter = ("state", "channel")
    raw_id_fields = ("event", "subscriber")
    readonly_fields = ("provider_id", "created_at", "updated_at", "sent_at")
    actions = ["replay"]

    @admin.action(description="Replay selected dead/failed deliveries")
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = deliveries_replay(delivery_ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"{count} deliveries queued again.", messages.SUCCESS)
