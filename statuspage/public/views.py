"""Public status pages. Views stay thin: selectors read, presenters shape, templates render.

Every view is wrapped in @public_document (statuspage/public_cache/): cached per generation,
ETag/304, no cookies, last good render served when the database is down."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_safe

from incidents import branding, selectors
from incidents.selectors.shared import active as shared_reads_active
from incidents.selectors.shared import now as shared_now
from incidents.selectors.shared import shared
from statuspage.brand import brand_css
from statuspage.monitors.charts import charts_available
from statuspage.page_routing import page_of
from statuspage.public import (
    finished_days,
    language,
    negotiation,
    presenters,
    status_markdown,
    uptime,
)
from statuspage.public_cache import mark_public, one_off, public_document
from statuspage.upstream.selectors import incident_sources

UPTIME_DAYS = 90
PAST_DAYS = 7


def _status(page, tree: selectors.ComponentTree | None = None) -> dict[str, str]:
    """The page's overall status, for every page's tab title and favicon."""
    indicator, description = selectors.status_summary(tree.components if tree else None, page=page)
    return {"indicator": indicator, "description": description}


@public_document(negotiate=negotiation.front_page_in_reader_language)
def index(request):
    """The front page in the reader's language; the Markdown status for clients that ask for
    it, and for curl and other terminal clients that ask for nothing in particular
    (statuspage/public/negotiation.py)."""
    page = selectors.page_get(page_of(request))
    if negotiation.front_page(request.headers.get).name == negotiation.MARKDOWN.name:
        return _markdown(page)
    code = language.from_accept_language(request.headers.get("Accept-Language"))
    return render_index(request, page, language_code=code)


@public_document(negotiate=negotiation.front_page)
def index_in_language(request, language: str):
    """The front page in the language its address names (`/de/`): no Accept-Language."""
    page = selectors.page_get(page_of(request))
    if negotiation.front_page(request.headers.get).name == negotiation.MARKDOWN.name:
        return _markdown(page)
    return render_index(request, page, language_code=language)


@public_document()
def index_markdown(request):
    """The status in Markdown, for AI agents and terminals (public/status_markdown.py)."""
    return _markdown(selectors.page_get(page_of(request)))


def _markdown(page) -> HttpResponse:
    return HttpResponse(status_markdown.render(page), content_type=status_markdown.CONTENT_TYPE)


def render_index(request, page, language_code: str | None = None, **extra) -> HttpResponse:
    """The front page for `page`, in `language_code` (else the page's default). The cached view
    renders the saved page; the dashboard's preview (wired in statuspage/urls.py) an unsaved
    copy, with `extra` naming its stylesheet and images, outside the public cache."""
    language.activate(request, page, language_code)
    tree = selectors.component_tree(page)
    indicator, description = selectors.status_summary(tree.components, page=page)
    now = shared_now()
    today = now.astimezone(page.tz).date()
    showcased = [c for c in tree.components if c.showcase]
    notices = _front_page_notices(page, now)
    unresolved = notices.unresolved
    # The past days list every incident that started on them, the open ones too.
    past = [*notices.resolved, *unresolved]
    visible = presenters.visible_entries(tree)
    finished = finished_days.load(showcased, page=page, today=today, days=UPTIME_DAYS)
    data, measured = uptime.daily(
        showcased, page=page, days=UPTIME_DAYS, now=now, only_today=_only_today(finished)
    )
    bars, fresh = uptime.bars(
        showcased,
        data,
        selectors.incidents_touching(showcased, page=page, days=UPTIME_DAYS, now=now),
        today=today,
        days=UPTIME_DAYS,
        tz=page.tz,
        finished=finished,
        measured=measured,
    )
    finished_days.store(fresh, showcased, page=page, today=today, days=UPTIME_DAYS)
    context = {
        "page": page,
        "entries": visible,
        "indicator": indicator,
        "description": description,
        "incidents": unresolved,
        "sources": notices.sources,
        "maintenance_active": notices.maintenance_active,
        "maintenance_upcoming": notices.maintenance_upcoming,
        "bars": bars,
        "rules": uptime.rules_attrs(page),
        "legend": uptime.legend(page.thresholds),
        "past_days": presenters.past_days(past, today=today, tz=page.tz, days=PAST_DAYS),
        "subscribe_entries": presenters.subscribable_entries(visible),
        # The system-metrics charts are linked only when there is something to chart.
        "charts_available": charts_available(),
        **extra,
    }
    return render(request, "public/index.html", context)


@dataclass(frozen=True)
class _Notices:
    unresolved: list
    resolved: list
    sources: dict
    maintenance_active: list
    maintenance_upcoming: list


@shared
def _front_page_notices(page, now: datetime) -> _Notices:
    """The front page's incidents and maintenance windows (with their updates and components):
    the same in every language, so read once per publish for all of them (the words are
    each copy's own). Read as lists, which the template only iterates."""
    unresolved = list(selectors.incidents_unresolved(page))
    return _Notices(
        unresolved=unresolved,
        resolved=list(selectors.incidents_resolved_since(now - timedelta(days=PAST_DAYS), page)),
        # Who reported the incidents mirrored from upstream providers (one query).
        sources=incident_sources(i.id for i in unresolved),
        maintenance_active=list(selectors.maintenance_active(page)),
        maintenance_upcoming=list(selectors.maintenance_upcoming(page)),
    )


@public_document()
def brand_stylesheet(request):
    """The page's colours and custom CSS, as a stylesheet (the pages link it with a version
    taken from its content, so a change is fetched at once and the rest of the time cached)."""
    css = brand_css(selectors.page_get(page_of(request)))
    return HttpResponse(css, content_type="text/css; charset=utf-8")


# Stored images are named by their content: one name, one content, forever.
IMMUTABLE = "public, max-age=31536000, immutable"


@require_safe
def branding_file(request, name: str):
    path = branding.stored_image_path(name)
    if path is None:
        raise Http404("No such image.")
    # Small files (the upload limits): read whole, no streaming machinery.
    response = HttpResponse(
        path.read_bytes(), content_type=branding.CONTENT_TYPES[path.suffix.lstrip(".")]
    )
    response["Cache-Control"] = IMMUTABLE
    # Served as an image only: never sniffed into something else, never a document.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return mark_public(response)


def _canonical(raw: str) -> int | None:
    """`raw` as a whole number when written canonically ("2", not "02" or "²": each spelling
    would be its own cached document and snapshot file), else None."""
    # isascii first: "²".isdigit() is true, yet int() refuses it.
    if not (raw.isascii() and raw.isdigit()) or raw != str(int(raw)):
        return None
    return int(raw)


def _page_number(request) -> int:
    """?page= must be a whole number in range, written canonically; anything else is a 404."""
    number = _canonical(request.GET.get("page", "1"))
    if number is None or not 1 <= number <= presenters.HISTORY_MAX_PAGE:
        raise Http404("No such history page.")
    return number


def _offset(request) -> int:
    """?from= (where a busy window's page continues): absent, or a canonical multiple of the
    page size in range; anything else is a 404, as for ?page=."""
    raw = request.GET.get("from")
    if raw is None:
        return 0
    number = _canonical(raw)
    if (
        number is None
        or number % presenters.HISTORY_PAGE_ITEMS
        or not 0 < number <= presenters.HISTORY_MAX_FROM
    ):
        raise Http404("No such history page.")
    return number


@public_document(query_params=("page", "from", "component", "q"))
def history(request):
    page = selectors.page_get(page_of(request))
    language.activate(request, page)
    number, offset = _page_number(request), _offset(request)
    tree = selectors.component_tree(page)
    query = presenters.history_query(
        request.GET.get("component", ""), request.GET.get("q", ""), tree.components
    )
    today = shared_now().astimezone(page.tz).date()
    start, end, months = presenters.history_window(today, number, page.tz)
    if number > 1 and not selectors.history_exists_before(end, query.narrow, page=page):
        raise Http404("No history that far back.")
    # One more than the page shows, of each kind: enough to merge them and to know whether
    # the window continues, whatever the window holds.
    limit = offset + presenters.HISTORY_PAGE_ITEMS + 1
    incidents, windows = selectors.history_entries(start, end, query.narrow, limit=limit, page=page)
    chunk = presenters.history_chunk(months, incidents, windows, page.tz, offset=offset)
    if chunk is None:
        raise Http404("No history that far back.")
    context = {
        **_status(page, tree),
        "page": page,
        "months": chunk.months,
        "number": number,
        "offset": offset,
        "more": chunk.more,
        "step": presenters.HISTORY_PAGE_ITEMS,
        "has_older": chunk.more or selectors.history_exists_before(start, query.narrow, page=page),
        "query": query,
        "tree": tree,
    }
    response = render(request, "public/history.html", context)
    return response if query.cacheable else one_off(response)


@public_document()
def incident_detail(request, public_id: str):
    incident = selectors.incident_get(public_id, page_of(request))
    if incident is None:
        raise Http404("No such incident.")
    page = selectors.page_get(page_of(request))
    language.activate(request, page)
    context = {
        **_status(page),
        "page": page,
        "incident": incident,
        "source": incident_sources([incident.id]).get(incident.id),
    }
    return render(request, "public/incident.html", context)


@public_document()
def maintenance_detail(request, public_id: str):
    maintenance = selectors.maintenance_get(public_id, page_of(request))
    if maintenance is None:
        raise Http404("No such maintenance.")
    page = selectors.page_get(page_of(request))
    language.activate(request, page)
    context = {**_status(page), "page": page, "maintenance": maintenance}
    return render(request, "public/maintenance.html", context)


def _uptime_page_number(request, picker, chosen) -> int:
    """?page= of /uptime's list: a canonical whole number within its pages, else a 404. Absent
    (or empty, which the cache keys alike), the page holding the component ?component= names,
    else the first."""
    raw = request.GET.get("page") or ""
    if not raw:
        return presenters.uptime_page_of(picker, chosen) if chosen is not None else 1
    number = _canonical(raw)
    if number is None or not 1 <= number <= presenters.uptime_pages(picker):
        raise Http404("No such uptime page.")
    return number


@public_document(query_params=("component", "page"))
def uptime_page(request):
    """Three months of calendars for one component (the first unless ?component= names
    another) and the 90-day figures of the front page's window, by group, a page of
    presenters.UPTIME_PAGE_ROWS components at a time (?page=)."""
    page = selectors.page_get(page_of(request))
    language.activate(request, page)
    tree = selectors.component_tree(page)
    components = [c for c in tree.components if c.showcase]
    wanted = request.GET.get("component")
    named = next((c for c in components if c.public_id == wanted), None)
    if wanted and named is None:
        raise Http404("No such component.")
    chosen = named or (components[0] if components else None)
    picker = presenters.picker_entries(tree, components)
    listing = presenters.uptime_listing(picker, _uptime_page_number(request, picker, named))
    now = shared_now()
    today = now.astimezone(page.tz).date()
    months = [presenters.month_start(today, n) for n in (2, 1, 0)]  # oldest first, as read
    # From the first month a reader a day behind the page zone sees (their calendars start a
    # month earlier on the page zone's first of the month).
    days = max(UPTIME_DAYS, (today - presenters.month_start(today - timedelta(days=1), 2)).days + 1)
    # Only this page's figures are counted (its components, its groups' members, the chosen
    # one): a page costs the same whatever the page holds.
    counted = listing.counted
    if chosen is not None and chosen not in counted:
        counted.append(chosen)
    data, totals, measured = _count(counted, chosen, page=page, today=today, now=now, days=days)
    context: dict[str, object] = {
        **_status(page),
        "page": page,
        "picker": picker,
        "chosen": chosen,
        "named": named,
        "listing": listing,
        "figures": uptime.figures(totals),
        "group_figures": {
            b.group.id: uptime.group_figure(b.members, totals) for b in listing.blocks if b.group
        },
        "window": UPTIME_DAYS,
        "rules": uptime.rules_attrs(page),
        "legend": uptime.legend(page.thresholds),
        "measured": measured,
    }
    if chosen is not None:
        refs = selectors.incidents_touching([chosen], page=page, days=days, now=now)
        touching = refs.get(chosen.id, [])
        by_day = selectors.refs_by_day(
            touching, first=today - timedelta(days=days - 1), today=today, tz=page.tz
        )
        context.update(
            calendars=uptime.calendar_months(data[chosen.id], by_day, months, today),
            source=uptime.source_attrs(data[chosen.id]),
            refs=uptime.refs_list(touching),
            # Said under the chosen component's figure when monitors feed its days, as under
            # its bar on the front page.
            measured_since=uptime.measured_words(measured.get(chosen.id)),
        )
    return render(request, "public/uptime.html", context)


def _count(counted, chosen, *, page, today, now, days: int):
    """The days and (tracked, down) sums of `counted`, and the date each one measured by
    monitors began. The chosen component's calendars need all its `days`; the others only
    their sums, from their cached finished days plus today."""
    finished = finished_days.load(counted, page=page, today=today, days=UPTIME_DAYS)
    if chosen is not None:
        finished.pop(chosen.id, None)
    data, measured = uptime.daily(
        counted, page=page, days=days, now=now, only_today=_only_today(finished)
    )
    _store_finished(counted, data, finished, page=page, today=today, now=now)
    return data, uptime.sums(counted, data, finished, days=UPTIME_DAYS), measured


def _only_today(finished) -> Collection[int]:
    """The components whose days are counted for today only: those whose finished days the
    cache holds (in the language being rendered). Inside a publish none: the whole window is
    counted once for every language's copy (a read shared within the publish,
    incidents/selectors/shared.py), whatever each language's cache holds; the bars and sums
    take today from it all the same."""
    return () if shared_reads_active() else finished.keys()


def _store_finished(components, data, finished, *, page, today, now) -> None:
    """Cache the finished days /uptime counted in full (the same entries as the front page's,
    so whichever page renders first after midnight or a history edit fills them)."""
    missing = [c for c in components if c.id not in finished]
    if not missing:
        return
    refs = selectors.incidents_touching(missing, page=page, days=UPTIME_DAYS, now=now)
    first = today - timedelta(days=UPTIME_DAYS - 1)
    fresh = {
        c.id: uptime.finished_entry(
            data[c.id].last(UPTIME_DAYS).days[:-1],
            selectors.refs_by_day(refs.get(c.id, []), first=first, today=today, tz=page.tz),
        )
        for c in missing
    }
    finished_days.store(fresh, missing, page=page, today=today, days=UPTIME_DAYS)


def favicon(request):
    """Browsers ask for /favicon.ico whatever a page links to: send them to the neutral icon
    (pages link the icon of their status themselves)."""
    response = HttpResponsePermanentRedirect(static("public/favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
