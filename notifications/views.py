"""Public subscription pages and Twilio hooks. Thin: parse, call a service, render.

No view here sets a cookie: the capability is the signed token in the URL (or, for the
subscribe form, double opt-in plus rate limits), so the public pages stay cacheable and the
POSTs are csrf_exempt on purpose.

Language: a page about one subscription (confirm, manage, unsubscribe) speaks the subscriber's
language; the subscribe form speaks the language of the public page it sits on, which it posts
along (`language`), or its address's prefix (/de/subscribe); else the page's default.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, QueryDict
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from incidents import languages, selectors
from incidents.errors import ServiceError
from incidents.models import Component, Incident, Page, Visibility
from incidents.selectors import scope
from incidents.selectors.audiences import audience_for
from notifications import links
from notifications.models import Channel, Subscriber, SubscriberState
from notifications.ratelimit import Rate, client_address, hit
from notifications.services import subscriptions
from notifications.services.subscriptions import SubscribeError
from notifications.twilio_hooks import handle_inbound, handle_status, signature_valid

HOUR = 3600
# Seconds a visitor is asked to wait when the database is unreachable (Retry-After).
RETRY_AFTER_SECONDS = 30


def _database_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """A database outage is a styled 503 that says when to retry, never a 500: the form is
    the one public page that cannot be served from a snapshot."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DatabaseError:
            # Nothing read from the database: the address's language, if it names one.
            code = getattr(request, "public_language", None)
            if code in languages.CODES:
                translation.activate(code)
            response = render(
                request,
                "notifications/pages/unavailable.html",
                {"retry_after": RETRY_AFTER_SECONDS},
                status=503,
            )
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            response["Cache-Control"] = "no-store"
            return response

    return wrapper


def _page(
    request: HttpRequest, template: str, status: int = 200, **context: object
) -> HttpResponse:
    subscriber = context.get("subscriber")
    if "page" not in context:
        # A page about one subscription is its page's, whatever host serves it.
        context["page"] = (
            subscriber.page if isinstance(subscriber, Subscriber) else _request_page(request)
        )
    page = context["page"]
    translation.activate(_language(request, page, subscriber))  # type: ignore[arg-type]
    # Messages are passed in English (marked with gettext_noop): said in the page's language.
    for key in ("error", "message"):
        if context.get(key):
            context[key] = gettext(str(context[key]))
    return render(request, f"notifications/pages/{template}", context, status=status)


def _language(request: HttpRequest, page: Page, subscriber: object) -> str:
    """The subscriber's language; else the one the form was posted from, or the address's
    prefix (PublicLanguageMiddleware); else the page's default."""
    candidates = [
        getattr(subscriber, "language", ""),
        request.POST.get("language", "") if request.method == "POST" else "",
        getattr(request, "public_language", "") or "",
    ]
    return next((code for code in candidates if code in languages.CODES), page.language)


def _within(name: str, limit: int, key: str) -> bool:
    """Count one attempt against an hourly limit (notifications/ratelimit.py)."""
    return hit(Rate(name, limit, HOUR), key).allowed


def _too_many(request: HttpRequest) -> HttpResponse:
    return _page(request, "rate_limited.html", status=429)


def _scope_ids(data: QueryDict) -> list[int]:
    """Ticked components plus whole groups; ValueError on anything that is not a number."""
    return subscriptions.scope_component_ids(
        component_ids=[int(x) for x in data.getlist("components")],
        group_ids=[int(x) for x in data.getlist("groups")],
    )


def _address(data: QueryDict) -> str:
    """The chosen channel's own field (address_email, address_sms, ...); `address` is the
    one-field form that API clients and older pages post."""
    channel = data.get("channel", "")
    return data.get(f"address_{channel}") or data.get("address", "")


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_database_required
def subscribe(request: HttpRequest) -> HttpResponse:
    page = _request_page(request)
    if page.visibility != Visibility.AUDIENCE:
        return _subscribe(request, page, None)
    # An audience-specific page: the signed-in reader subscribes within their audience, and
    # sees only its components and incidents here too (docs/pages.md, "Audiences").
    # The reader as the reader gate checked it for this request (statuspage/readers).
    reader = getattr(request, "reader", None)
    audience = audience_for(page.pk, reader if isinstance(reader, Mapping) else None)
    if audience is None:
        response = render(request, "public/no_access.html", {"page": page}, status=403)
        response["Cache-Control"] = "private, no-cache"
        return response
    with scope.components_only(audience.component_ids, audience.component_public_ids):
        response = _subscribe(request, page, audience.id)
    response["Cache-Control"] = "private, no-cache"
    return response


def _subscribe(request: HttpRequest, page: Page, audience_id: int | None) -> HttpResponse:
    incident = _incident(page, request.GET.get("incident", ""))
    if request.method == "GET":
        return _page(
            request, "subscribe.html", page=page, entries=_entries(page), incident=incident
        )
    data = request.POST
    if not _within("subscribe-ip", settings.SUBSCRIBE_RATE_PER_IP_HOUR, client_address(request)):
        return _too_many(request)
    if not _within(
        "subscribe-address", settings.SUBSCRIBE_RATE_PER_ADDRESS_HOUR, _address_key(data)
    ):
        return _too_many(request)
    incident = _incident(page, data.get("incident", ""))
    try:
        ids = _scope_ids(data)
        sub = subscriptions.subscriber_subscribe(
            channel=data.get("channel", ""),
            address=_address(data),
            contact_email=data.get("contact_email", ""),
            component_ids=ids,
            incident=incident,
            language=data.get("language") or getattr(request, "public_language", None) or "",
            page=page,
            audience_id=audience_id,
        )
    except (ServiceError, ValueError) as exc:
        return _page(
            request,
            "subscribe.html",
            status=400,
            page=page,
            entries=_entries(page),
            incident=incident,
            error=getattr(exc, "message", _CHOOSE_COMPONENTS),
            error_field=getattr(exc, "field", "components"),
            form=data,
        )
    # The same page whether the address was new, pending or already active.
    return _page(
        request, "subscribe_sent.html", page=page, channel=sub.channel, address=sub.address
    )


def _incident(page: Page, public_id: str) -> Incident | None:
    """ "Just this incident": one of the page's own."""
    if not public_id:
        return None
    # Within an audience's scope, one touching its components only.
    return scope.incidents(Incident.objects.filter(page=page, public_id=public_id)).first()


_CHOOSE_COMPONENTS = gettext_noop("Choose components from the list.")


def _entries(page: Page | None = None) -> list[selectors.GroupNode | Component]:
    """Groups with their components, and ungrouped components, in page order (None: the
    default page's)."""
    return selectors.component_tree(page).entries


def _address_key(data: QueryDict) -> str:
    """Count per normalised address, so spelling a number differently does not reset it."""
    channel, address = data.get("channel", ""), _address(data)
    try:
        address = subscriptions.normalise_address(channel, address)
    except SubscribeError:
        address = address.strip().lower()
    return f"{channel}:{address}"


@csrf_exempt
@require_POST
@_database_required
def subscribe_sms_code(request: HttpRequest) -> HttpResponse:
    number = request.POST.get("address", "")
    if not _within("sms-code", 5, number) or not _within(
        "sms-code-ip", 20, client_address(request)
    ):
        return _too_many(request)
    page = _request_page(request)
    sub = Subscriber.objects.filter(page=page, channel=Channel.SMS, address=number).first()
    if sub and subscriptions.sms_code_check(subscriber=sub, code=request.POST.get("code", "")):
        subscriptions.subscriber_confirm(subscriber=sub)
        return _page(
            request,
            "done.html",
            message=gettext_noop("Your phone number is confirmed."),
            subscriber=sub,
        )
    return _page(
        request,
        "subscribe_sent.html",
        status=400,
        channel=Channel.SMS,
        address=number,
        error=gettext_noop("That code is not right, or it expired."),
    )


def _request_page(request: HttpRequest) -> Page:
    """The page the request is for (set by the public routing), else the default page."""
    page = getattr(request, "status_page", None)
    return page if isinstance(page, Page) else selectors.page_get()


def _bad_link(request: HttpRequest) -> HttpResponse:
    return _page(
        request, "done.html", status=404, message=gettext_noop("This link is not valid any more.")
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_database_required
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    sub = links.subscriber_from_token(token, confirm=True)
    if sub is None or sub.state not in (SubscriberState.UNCONFIRMED, SubscriberState.ACTIVE):
        return _bad_link(request)
    if request.method == "GET":
        # Mail scanners follow links: only the POST of this button confirms.
        return _page(request, "confirm.html", subscriber=sub)
    subscriptions.subscriber_confirm(subscriber=sub)
    return _page(
        request,
        "done.html",
        message=gettext_noop("Your subscription is confirmed."),
        subscriber=sub,
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_database_required
def manage(request: HttpRequest, token: str) -> HttpResponse:
    sub = links.subscriber_from_token(token)
    if sub is None:
        return _bad_link(request)
    if sub.audience_id is None:
        return _manage(request, sub)
    # A subscriber of an audience chooses among its audience's components only.
    ids = list(Component.objects.filter(audiences=sub.audience_id).values_list("id", "public_id"))
    with scope.components_only([i for i, _ in ids], [p for _, p in ids]):
        return _manage(request, sub)


def _manage(request: HttpRequest, sub: Subscriber) -> HttpResponse:
    if request.method == "POST" and sub.state == SubscriberState.ACTIVE:
        try:
            ids = _scope_ids(request.POST)
            # Both or neither: a refused scope leaves the language as it was.
            with transaction.atomic():
                if "language" in request.POST:
                    subscriptions.subscriber_set_language(
                        subscriber=sub, language=request.POST["language"]
                    )
                subscriptions.subscriber_set_scope(subscriber=sub, component_ids=ids)
        except (ServiceError, ValueError) as exc:
            return _page(
                request,
                "manage.html",
                status=400,
                subscriber=sub,
                entries=_entries(sub.page),
                chosen=set(),
                message_languages=languages.LANGUAGES,
                error=getattr(exc, "message", _CHOOSE_COMPONENTS),
            )
    chosen = set(sub.components.values_list("id", flat=True))
    return _page(
        request,
        "manage.html",
        subscriber=sub,
        entries=_entries(sub.page),
        chosen=chosen,
        message_languages=languages.LANGUAGES,
        unsubscribe_url=links.unsubscribe_url(sub),
        saved=request.method == "POST",
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_database_required
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks; POST acts. The POST also serves RFC 8058 one-click unsubscribe."""
    sub = links.subscriber_from_token(token)
    if sub is None:
        return _bad_link(request)
    if request.method == "GET":
        return _page(request, "unsubscribe.html", subscriber=sub)
    subscriptions.subscriber_unsubscribe(subscriber=sub)
    return _page(
        request,
        "done.html",
        message=gettext_noop("You are unsubscribed. No more messages."),
        subscriber=sub,
    )


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not signature_valid(request):
        return HttpResponseForbidden("Invalid Twilio signature.")
    return HttpResponse(handle_inbound(request.POST), content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not signature_valid(request):
        return HttpResponseForbidden("Invalid Twilio signature.")
    handle_status(request.POST)
    return HttpResponse(status=204)
