"""The embeds: script embed (+ its frame and state), status iframe, SVG badges, shields JSON.

All are public documents (generation-keyed cache, ETag/304, no cookies). Only the two frame
routes may be framed, by anyone (`frame-ancestors *`, no X-Frame-Options); everything else
keeps the site-wide DENY.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.translation import gettext, pgettext
from django.views.decorators.clickjacking import xframe_options_exempt

from incidents import selectors, wire
from incidents.enums import ComponentStatus, IncidentStatus, MaintenanceStatus
from incidents.languages import translated
from incidents.models import Component, Page
from statuspage.json_http import CORS, json_response, public_json
from statuspage.page_routing import page_of
from statuspage.public_cache import mark_public, public_document
from statuspage.widget import badges

FRAMEABLE = {**CORS, "Content-Security-Policy": "frame-ancestors *"}
# A badge is an image: nothing in it may run or load, even when opened on its own.
BADGE = {**CORS, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
PUBLIC_ID = re.compile(r"[0-9a-z]{12}")
# /embed/status?theme=: light and dark force a scheme, auto follows the reader's preference,
# transparent drops the background. Anything else is a 404, so no stray value gets cached.
THEMES = ("auto", "light", "dark", "transparent")
# Keeps the frame small: the full text is one click away on the status page.
UPDATE_PREVIEW_CHARS = 280


def _language(request, page: Page) -> str | None:
    """`?lang=`: the language of the embed's words and of the operator's translated names
    and updates; absent, the page's default. None for a language the page does not offer."""
    code = request.GET.get("lang") or page.language
    return code if code in set(settings.PUBLIC_LANGUAGES) | {page.language} else None


def _unknown_language() -> HttpResponse:
    response = HttpResponse(
        "Unknown lang: use one of the page's languages.",
        status=404,
        content_type="text/plain; charset=utf-8",
    )
    return mark_public(response)


def _notice(obj, page, *, kind: str) -> dict:
    latest = next(iter(obj.updates.all()), None)  # prefetched newest first
    status_label = (IncidentStatus if kind == "incident" else MaintenanceStatus)(obj.status).label
    code = translation.get_language()
    body = (translated(latest.translations, code, "body") or latest.body) if latest else ""
    path = f"/{'incidents' if kind == 'incident' else 'maintenance'}/{obj.public_id}"
    prefix = f"/{code}" if code and code != page.language else ""
    if len(body) > UPDATE_PREVIEW_CHARS:
        body = body[: UPDATE_PREVIEW_CHARS - 1].rstrip() + "…"
    return {
        "id": obj.public_id,
        "kind": kind,
        "name": translated(obj.translations, code, "name") or obj.name,
        "status": obj.status,
        "status_label": gettext(str(status_label)),
        "impact": obj.impact,
        # The public page in the embed's language (the default's addresses have no prefix).
        "url": f"{page.public_url}{prefix}{path}",
        # Changes when an update is posted or edited: the script reloads the frame on it.
        "updated_at": wire.timestamp(latest.updated_at if latest else obj.updated_at, page.tz),
        "latest_update": body,
    }


def _notices(page) -> list[dict]:
    """Open incidents (newest first), then running maintenance: what the script embed shows."""
    return [
        *(_notice(i, page, kind="incident") for i in selectors.incidents_unresolved(page)),
        *(_notice(m, page, kind="maintenance") for m in selectors.maintenance_active(page)),
    ]


@public_json(query_params=("lang",))
def state(request):
    """The small document the script embed polls (ETag-revalidated, so a poll is usually 304).
    `?lang=` puts the notices' names, updates and status labels in that language."""
    page = selectors.page_get(page_of(request))
    code = _language(request, page)
    if code is None:
        return _unknown_language()
    indicator, description = selectors.status_summary(page=page)
    with translation.override(code):
        notices = _notices(page)
    return json_response(
        {
            "page": {"id": page.public_id, "name": page.name, "url": page.public_url},
            "status": wire.status_dict(indicator, description),
            "notices": notices,
        }
    )


@public_document(headers=CORS)
def script(request):
    config = {
        "corner": settings.WIDGET_CORNER,
        "corners": list(settings.WIDGET_CORNERS),
        "poll": settings.WIDGET_POLL_SECONDS,
        # "/p/<slug>" when served under a page prefix (statuspage/page_routing.py), else "".
        "prefix": get_script_prefix().rstrip("/"),
    }
    return render(
        request,
        "widget/script.js",
        {"config": config},
        content_type="text/javascript; charset=utf-8",
    )


@xframe_options_exempt
@public_document(query_params=("id", "lang"), headers=FRAMEABLE)
def frame(request):
    """The notice the script embed frames: one active incident or maintenance (`?id=`), or the
    newest one when no id is given, in `?lang=`. An id that is not active (any more) is a 404."""
    wanted = request.GET.get("id")
    if wanted is not None and not PUBLIC_ID.fullmatch(wanted):
        return _frame_not_found(request, page=None)
    page = selectors.page_get(page_of(request))
    code = _language(request, page)
    if code is None:
        return _unknown_language()
    with translation.override(code):
        notice = next((n for n in _notices(page) if n["id"] == wanted or not wanted), None)
        if notice is None:
            return _frame_not_found(request, page=page)
        return render(
            request,
            "widget/frame.html",
            {"page": page, "notice": notice, "colors": settings.WIDGET_COLORS},
        )


def _frame_not_found(request, *, page) -> HttpResponse:
    # Not cached (the cache keeps 200s only), so a malformed id is refused before any query.
    response = render(
        request,
        "widget/frame.html",
        {"page": page, "notice": None, "colors": settings.WIDGET_COLORS},
        status=404,
    )
    return mark_public(response)  # still never carries a cookie


@xframe_options_exempt
@public_document(query_params=("theme", "lang"), headers=FRAMEABLE)
def status_frame(request):
    """A compact status line (indicator dot + description) for dashboards and footers."""
    theme = request.GET.get("theme") or "auto"  # "?theme=" shares the default's cache key
    if theme not in THEMES:
        response = HttpResponse(
            "Unknown theme: use light, dark, auto or transparent.",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
        return mark_public(response)
    page = selectors.page_get(page_of(request))
    code = _language(request, page)
    if code is None:
        return _unknown_language()
    indicator, description = selectors.status_summary(page=page)
    with translation.override(code):
        return render(
            request,
            "widget/status.html",
            {
                "page": page,
                "indicator": indicator,
                "description": gettext(description),
                "theme": theme,
            },
        )


def _svg(svg: str, *, status: int = 200) -> HttpResponse:
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8", status=status)


@public_document(query_params=("lang",), headers=BADGE)
def badge(request):
    """The page's status; `?lang=` words it in that language (default: the page's)."""
    page = selectors.page_get(page_of(request))
    code = _language(request, page)
    if code is None:
        return _unknown_language()
    indicator, description = selectors.status_summary(page=page)
    with translation.override(code):
        label, message = pgettext("badge", "status"), gettext(description)
    return _svg(badges.flat_badge(label, message, badges.INDICATOR_COLORS[indicator]))


@public_document(query_params=("lang",), headers=BADGE)
def component_badge(request, public_id: str):
    """A component's (or a group's) status; the label is its name."""
    code = _language(request, selectors.page_get(page_of(request)))
    if code is None:
        return _unknown_language()
    with translation.override(code):
        return _component_badge(public_id, page_of(request))


def _component_badge(public_id: str, page) -> HttpResponse:
    tree = selectors.component_tree(page)
    for entry in tree.entries:
        nodes: list[selectors.GroupNode | Component] = (
            [entry, *entry.components] if isinstance(entry, selectors.GroupNode) else [entry]
        )
        for node in nodes:
            target = node.group if isinstance(node, selectors.GroupNode) else node
            if target.public_id == public_id:
                status = ComponentStatus(node.status)
                color = badges.COMPONENT_COLORS[status.value]
                return _svg(badges.flat_badge(target.name, gettext(str(status.label)), color))
    label, message = pgettext("badge", "status"), gettext("unknown component")
    response = _svg(badges.flat_badge(label, message, "lightgrey"), status=404)
    for name, value in BADGE.items():
        response[name] = value
    return mark_public(response)


@public_json(query_params=())
def badge_json(request):
    """shields.io's endpoint badge: https://img.shields.io/endpoint?url=<this URL>."""
    indicator, description = selectors.status_summary(page=page_of(request))
    return json_response(
        {
            "schemaVersion": 1,
            "label": "status",
            "message": description,
            "color": badges.INDICATOR_COLORS[indicator],
        }
    )
