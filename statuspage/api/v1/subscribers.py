"""/pages/{page_id}/subscribers: list, create, read, unsubscribe, count, resend the opt-in.

Statuspage tells channels apart by which address field is set (email, phone_number,
endpoint); `type` names the chat channels it lacks (slack, discord, teams)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from incidents.models import Audience, Component, Page
from notifications import selectors as notify_selectors
from notifications.models import Channel, CreatedVia, Subscriber, SubscriberState
from notifications.services import (
    SubscribeError,
    subscriber_audience_change,
    subscriber_create,
    subscriber_remove,
    subscriber_resend_confirmation,
    subscriber_scope_change,
)
from statuspage.access.models import Scope
from statuspage.api.v1 import fields as f
from statuspage.api.v1 import serializers as ser
from statuspage.api.v1.http import (
    ApiError,
    ApiRequest,
    api_view,
    json_response,
    page_of,
    paginate,
)
from statuspage.api.v1.openapi_parts import ERRORS, array_of, json_body, ok, path_id, query, ref
from statuspage.api.v1.resources import SUBSCRIBER, SUBSCRIBER_SCOPE, read

STATES = [*SubscriberState.values, "all"]


def audience_ids(page: Page) -> dict[int, str]:
    """The page's audiences by id, to name a subscriber's by its public id in one query for a
    whole listing."""
    return dict(Audience.objects.filter(page=page).values_list("id", "public_id"))


def subscriber_dict(ctx: ser.Context, sub: Subscriber, audiences: dict[int, str]) -> dict:
    phone = sub.address if sub.channel == Channel.SMS else None
    email = sub.address if sub.channel == Channel.EMAIL else (sub.contact_email or None)
    purge_at = None
    if sub.quarantined_at is not None:
        purge_at = sub.quarantined_at + timedelta(days=settings.NOTIFY_QUARANTINE_PURGE_DAYS)
    vouched = (
        sub.created_via != CreatedVia.PUBLIC
        and sub.confirmed_at is not None
        and sub.confirmed_at - sub.created_at < timedelta(seconds=1)
    )
    return {
        "id": sub.public_id,
        "mode": sub.channel,
        "state": sub.state,
        "email": email,
        "phone_number": phone,
        "phone_country": None,
        "endpoint": sub.address if sub.channel not in (Channel.EMAIL, Channel.SMS) else None,
        "display_phone_number": phone,
        "obfuscated_channel_name": None,
        "created_at": ctx.ts(sub.created_at),
        "quarantined_at": ctx.ts(sub.quarantined_at),
        "purge_at": ctx.ts(purge_at),
        "skip_confirmation_notification": vouched,
        "components": [
            ctx.by_id[c.public_id] for c in sub.components.all() if c.public_id in ctx.by_id
        ]
        if not sub.all_components
        else [],
        "audience_id": audiences.get(sub.audience_id) if sub.audience_id else None,
    }


def _filters(request: HttpRequest) -> dict:
    kind = request.GET.get("type", "").strip() or None
    if kind is not None and kind not in Channel.values:
        raise ApiError.field(
            "type", "type must be one of: " + ", ".join(Channel.values), status=400
        )
    state = request.GET.get("state", "").strip() or SubscriberState.ACTIVE
    if state not in STATES:
        raise ApiError.field("state", "state must be one of: " + ", ".join(STATES), status=400)
    q = request.GET.get("q", "").strip() or None
    if q is not None and ("\x00" in q or len(q) > 200):
        raise ApiError.field("q", "q must be at most 200 characters, without NUL.", status=400)
    return {"q": q, "channel": kind, "state": None if state == "all" else state}


def _channel_and_address(data: dict) -> tuple[str, str, str]:
    """(channel, address, contact email) from Statuspage's fields."""
    email = f.text(data, "email", max_length=254, default="") or ""
    phone = f.text(data, "phone_number", max_length=40, default="") or ""
    endpoint = f.text(data, "endpoint", max_length=500, default="") or ""
    kind = f.text(data, "type", default="") or ""
    if kind and kind not in Channel.values:
        raise ApiError.field("type", "type must be one of: " + ", ".join(Channel.values))
    if phone:
        country = f.text(data, "phone_country", max_length=2, default="") or ""
        if country and not phone.startswith("+"):
            raise ApiError.field(
                "phone_number", "Give the number in +E.164 form, e.g. +14155550100."
            )
        return Channel.SMS, phone, ""
    if endpoint:
        return (
            (kind if kind not in ("", Channel.EMAIL, Channel.SMS) else Channel.WEBHOOK),
            endpoint,
            email,
        )
    if email:
        return Channel.EMAIL, email, ""
    raise ApiError.field("email", "Give an email, a phone_number or an endpoint.")


def _component_ids(page: Page, data: dict) -> list[int] | None:
    ids = f.id_list(data, "component_ids", None)
    if not ids:
        return None
    found = dict(
        Component.objects.filter(public_id__in=ids, page=page).values_list("public_id", "id")
    )
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise ApiError.field("component_ids", "Unknown component ids: " + ", ".join(unknown[:10]))
    return [found[i] for i in dict.fromkeys(ids)]


def _audience_id(page: Page, data: dict) -> int | None:
    """The audience `audience_id` names (a public id of this page's; null: none)."""
    value = data.get("audience_id")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApiError.field("audience_id", "audience_id must be an audience's id or null.")
    found = Audience.objects.filter(public_id=value, page=page).values_list("id", flat=True)
    if not found:
        raise ApiError.field("audience_id", f"Unknown audience id: {value[:40]}")
    return found[0]


_ADDRESS_FIELD: dict[str, str] = {Channel.EMAIL: "email", Channel.SMS: "phone_number"}


def _subscribe_error(exc: SubscribeError, channel: str = "") -> ApiError:
    field = exc.field or "base"
    if field == "address":
        field = _ADDRESS_FIELD.get(channel, "endpoint")
    elif field == "contact_email":
        field = "email"
    return ApiError(422, exc.message, errors={field: [exc.message]})


@api_view(GET=Scope.READ, POST=Scope.SUBSCRIBERS)
def subscriber_list(request: ApiRequest) -> HttpResponse:
    page = page_of(request)
    if request.method == "POST":
        data = read(request, SUBSCRIBER)
        channel, address, contact = _channel_and_address(data)
        try:
            sub = subscriber_create(
                actor=request.api_actor,
                channel=channel,
                address=address,
                contact_email=contact,
                component_ids=_component_ids(page, data),
                skip_confirmation=f.boolean(data, "skip_confirmation_notification", False),
                via=CreatedVia.API,
                page=page,
                audience_id=_audience_id(page, data),
            )
        except SubscribeError as exc:
            raise _subscribe_error(exc, channel) from None
        return json_response(
            subscriber_dict(ser.Context(page), sub, audience_ids(page)), status=201
        )
    rows = notify_selectors.subscriber_search(**_filters(request), page=page)
    ctx, audiences = ser.Context(page), audience_ids(page)
    return json_response([subscriber_dict(ctx, s, audiences) for s in paginate(request, rows)])


@api_view(GET=Scope.READ)
def subscriber_count(request: ApiRequest) -> HttpResponse:
    rows = notify_selectors.subscriber_search(**_filters(request), page=page_of(request))
    return json_response({"count": rows.count()})


@api_view(GET=Scope.READ, PATCH=Scope.SUBSCRIBERS, DELETE=Scope.SUBSCRIBERS)
def subscriber_detail(request: ApiRequest, subscriber_id: str) -> HttpResponse:
    page = page_of(request)
    sub = Subscriber.objects.get(public_id=subscriber_id, page=page)
    if request.method == "DELETE":
        sub = subscriber_remove(actor=request.api_actor, subscriber=sub)
    elif request.method == "PATCH":
        sub = _patch(request, page, sub)
    return json_response(subscriber_dict(ser.Context(page), sub, audience_ids(page)))


def _patch(request: ApiRequest, page: Page, sub: Subscriber) -> Subscriber:
    """The audience first (it narrows the components), then the components asked for."""
    data = read(request, SUBSCRIBER_SCOPE)
    if "component_ids" not in data and "audience_id" not in data:
        raise ApiError.field("component_ids", "Give component_ids (an empty list: all).")
    try:
        if "audience_id" in data:
            sub = subscriber_audience_change(
                actor=request.api_actor, subscriber=sub, audience_id=_audience_id(page, data)
            )
        if "component_ids" in data:
            ids = _component_ids(page, data) or []
            sub = subscriber_scope_change(
                actor=request.api_actor, subscriber=sub, component_ids=ids
            )
    except SubscribeError as exc:
        raise _subscribe_error(exc) from None
    return sub


@api_view(POST=Scope.SUBSCRIBERS)
def subscriber_resend(request: ApiRequest, subscriber_id: str) -> HttpResponse:
    page = page_of(request)
    sub = Subscriber.objects.get(public_id=subscriber_id, page=page)
    try:
        subscriber_resend_confirmation(actor=request.api_actor, subscriber=sub)
    except SubscribeError as exc:
        raise _subscribe_error(exc) from None
    return json_response(subscriber_dict(ser.Context(page), sub, audience_ids(page)))


_TAGS = ["subscribers"]
_FILTERS = [
    query("type", "string", enum=Channel.values),
    query("state", "string", enum=STATES),
    query("q", "string"),
]
OPENAPI_SCHEMAS = {
    "Subscriber": {
        "type": "object",
        "required": ["id", "mode", "state", "email", "phone_number", "endpoint", "created_at"],
        "properties": {
            "id": {"type": "string"},
            "mode": {"enum": Channel.values},
            "state": {"enum": SubscriberState.values},
            "email": {"type": ["string", "null"]},
            "phone_number": {"type": ["string", "null"]},
            "phone_country": {"type": "null"},
            "endpoint": {"type": ["string", "null"]},
            "display_phone_number": {"type": ["string", "null"]},
            "obfuscated_channel_name": {"type": "null"},
            "created_at": {"type": "string", "format": "date-time"},
            "quarantined_at": {"type": ["string", "null"], "format": "date-time"},
            "purge_at": {"type": ["string", "null"], "format": "date-time"},
            "skip_confirmation_notification": {"type": "boolean"},
            "components": array_of("Component"),
            "audience_id": {
                "type": ["string", "null"],
                "description": "An extension: the audience of an audience-specific page the "
                "subscriber is in (it hears only what that audience sees).",
            },
        },
    },
    "SubscriberScopeInput": {
        "type": "object",
        "description": "component_ids, audience_id or both; the audience is set first, and "
        "components it does not see leave the subscriber's list.",
        "properties": {
            "component_ids": {"type": "array", "items": {"type": "string"}},
            "audience_id": {"type": ["string", "null"]},
        },
    },
    "SubscriberInput": {
        "type": "object",
        "properties": {
            "email": {"type": "string"},
            "phone_number": {"type": "string"},
            "phone_country": {"type": "string"},
            "endpoint": {"type": "string"},
            "type": {"enum": Channel.values},
            "component_ids": {"type": "array", "items": {"type": "string"}},
            "skip_confirmation_notification": {"type": ["boolean", "string"]},
            "audience_id": {"type": ["string", "null"]},
        },
    },
}
OPENAPI_PATHS = {
    "/pages/{page_id}/subscribers": {
        "get": {
            "summary": "List subscribers (default state: active)",
            "tags": _TAGS,
            "parameters": [
                *_FILTERS,
                query("limit", "integer", maximum=100),
                query("page", "integer"),
            ],
            "responses": {"200": ok(array_of("Subscriber")), **ERRORS},
        },
        "post": {
            "summary": "Add a subscriber (email, phone_number or endpoint)",
            "tags": _TAGS,
            "requestBody": json_body("subscriber", "SubscriberInput"),
            "responses": {"201": ok(ref("Subscriber")), **ERRORS},
        },
    },
    "/pages/{page_id}/subscribers/count": {
        "get": {
            "summary": "Count subscribers matching the filters",
            "tags": _TAGS,
            "parameters": _FILTERS,
            "responses": {
                "200": ok(
                    {
                        "type": "object",
                        "properties": {"count": {"type": "integer"}},
                        "required": ["count"],
                    }
                ),
                **ERRORS,
            },
        }
    },
    "/pages/{page_id}/subscribers/{subscriber_id}": {
        "parameters": [path_id("subscriber_id")],
        "get": {
            "summary": "Get a subscriber",
            "tags": _TAGS,
            "responses": {"200": ok(ref("Subscriber")), **ERRORS},
        },
        "patch": {
            "summary": "Set the components a subscriber hears about (an empty list: all) and its "
            "audience",
            "tags": _TAGS,
            "requestBody": {
                "required": True,
                "content": {
                    media: {"schema": ref("SubscriberScopeInput")}
                    for media in ("application/json", "application/x-www-form-urlencoded")
                },
            },
            "responses": {"200": ok(ref("Subscriber")), **ERRORS},
        },
        "delete": {
            "summary": "Unsubscribe; answers the subscriber, now unsubscribed",
            "tags": _TAGS,
            "responses": {"200": ok(ref("Subscriber")), **ERRORS},
        },
    },
    "/pages/{page_id}/subscribers/{subscriber_id}/resend_confirmation": {
        "parameters": [path_id("subscriber_id")],
        "post": {
            "summary": "Send an unconfirmed subscriber the opt-in again",
            "tags": _TAGS,
            "responses": {"200": ok(ref("Subscriber")), **ERRORS},
        },
    },
}
