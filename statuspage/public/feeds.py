"""Feeds of the public site: history as Atom and RSS (Django's syndication framework) and
scheduled maintenance as iCalendar (the icalendar library), all through @public_document.

Each feed is in a language like the pages (statuspage/public/language.py): `/de/history.atom`
is the German one, the unprefixed feed the page's default language. Its fixed words come from
the catalogs, names and update bodies from the operator's translations where there is one
(statuspage/public/translations.py), else the original; the feed says its language (Atom's
xml:lang, RSS's <language>, iCalendar's LANGUAGE parameter) and its links keep it.

Links are built from Page.url, not from the request's Host header: the document is cached
and shared by every reader, so it must not depend on who asked first. (Only while no public
URL is configured, the embedded default, do links take the origin of the request that
rendered the document: incidents/origin.py.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.translation import get_language, gettext
from icalendar import Calendar, Event

from incidents import selectors
from incidents.enums import MaintenanceStatus
from incidents.languages import bcp47
from incidents.models import Incident, Maintenance, Page
from incidents.selectors.shared import shared
from statuspage.markdown import render_plain
from statuspage.page_routing import link_base, page_of
from statuspage.public import language, translations
from statuspage.public_cache import public_document

FEED_ITEMS = 50
ICS_ITEMS = 200

# Characters XML 1.0 (and iCalendar's TEXT) cannot carry. Input refuses them, but text stored
# before that rule, or by a raw import, must not make a feed fail for every reader.
_T = TypeVar("_T")
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def writable(value: _T) -> _T:
    """`value` without the characters XML cannot carry, when it is text; else as it is."""
    if isinstance(value, str):
        return cast(_T, _UNWRITABLE.sub("", value))  # a str stays a str
    return value


def ical_text(value: str) -> str:
    # iCalendar escapes line feeds in TEXT but has no escape for a carriage return.
    return writable(value).replace("\r\n", "\n").replace("\r", "\n")


def ical_line(value: str) -> str:
    """A one-line value (a summary, the calendar's name): whitespace runs become one space
    (the calendar name is an extension property, which icalendar does not escape)."""
    return " ".join(writable(value).split())


class _Writable(SyndicationFeed):
    """A feed generator that drops unwritable characters from every text it is given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*map(writable, args), **{k: writable(v) for k, v in kwargs.items()})

    def add_item(self, *args: Any, **kwargs: Any) -> None:
        super().add_item(*map(writable, args), **{k: writable(v) for k, v in kwargs.items()})


class _Rss(_Writable, Rss201rev2Feed):
    pass


class _Atom(_Writable, Atom1Feed):
    pass


def absolute(page, path: str) -> str:
    # Under a page prefix `path` (from reverse()) carries it (statuspage/page_routing.py).
    return link_base(page) + path


def _permalink(page, item) -> str:
    # In the feed's language: a German feed's entries lead to the German pages.
    name = "public-incident" if item.impact != "maintenance" else "public-maintenance"
    return absolute(page, language.url(name, args=[item.public_id]))


def _guid(page, item) -> str:
    # The same in every language (the unprefixed permalink): an entry's identity does not
    # change with the feed a reader follows, and stays what it was before feeds had languages.
    name = "public-incident" if item.impact != "maintenance" else "public-maintenance"
    return absolute(page, reverse(name, args=[item.public_id]))


def _last_change(item):
    updates = list(item.updates.all())
    return updates[0].display_at if updates else item.updated_at


@dataclass(frozen=True)
class FeedItem:
    """An incident or a maintenance window, with the page whose feed lists it. The Feed
    instance is shared by threads: the page travels on the (per-request) items."""

    page: Page
    record: Incident | Maintenance


@shared
def _recent(page: Page) -> list[Incident | Maintenance]:
    """The feeds' entries: both kinds, newest change first, a fixed number of queries (3
    each); read once per publish for both feeds in every language."""
    merged: list[Incident | Maintenance] = [
        *selectors.incidents_recent(limit=FEED_ITEMS, page=page),
        *selectors.maintenance_recent(limit=FEED_ITEMS, page=page),
    ]
    merged.sort(key=_last_change, reverse=True)
    return merged[:FEED_ITEMS]


@shared
def _description(record: Incident | Maintenance, page: Page, language_code: str | None) -> str:
    """An entry's body in the active language (`language_code` names it, so that within a
    publish the RSS and Atom feeds of one language make it once)."""
    return render_to_string("public/feed_item.html", {"item": record, "page": page})


@shared
def _windows(page: Page) -> list[Maintenance]:
    """The calendar's windows: read once per publish for every language's calendar."""
    return list(selectors.maintenance_recent(limit=ICS_ITEMS, page=page))


class HistoryRss(Feed):
    feed_type: type[SyndicationFeed] = _Rss

    def get_object(self, request, *args, **kwargs):
        # Called first: everything below is in the feed's language (the URL's, else the page's).
        page = selectors.page_get(page_of(request))
        language.activate(request, page)
        return page

    @property
    def language(self) -> str:  # type: ignore[override]
        # Read by Feed.get_feed once the language is active; BCP 47 ("pt-BR"), as xml:lang wants.
        return language.html_lang()

    def title(self, page):
        return gettext("%(page)s status history (RSS)") % {"page": page.name}

    def description(self, page):
        return gettext("Incident and maintenance history")

    def link(self, page):
        return absolute(page, language.url("public-history"))

    def feed_url(self, page):
        return absolute(page, language.url("public-history-rss"))

    def items(self, page: Page) -> list[FeedItem]:
        return [FeedItem(page, record) for record in _recent(page)]

    def item_title(self, item: FeedItem) -> str:
        name = translations.name(item.record)
        if item.record.impact == "maintenance":
            return gettext("Maintenance: %(name)s") % {"name": name}
        return name

    def item_description(self, item: FeedItem) -> str:
        return _description(item.record, item.page, get_language())

    def item_link(self, item: FeedItem) -> str:
        return _permalink(item.page, item.record)

    def item_guid(self, item: FeedItem) -> str:
        return _guid(item.page, item.record)

    def item_pubdate(self, item: FeedItem) -> datetime:
        # Maintenance is announced when created; its window may lie in the future.
        return item.record.started_at or item.record.created_at

    def item_updateddate(self, item: FeedItem) -> datetime:
        return _last_change(item.record)


class HistoryAtom(HistoryRss):
    feed_type = _Atom

    def title(self, page):
        return gettext("%(page)s status history (Atom)") % {"page": page.name}

    def subtitle(self, page):
        return gettext("Incident and maintenance history")

    def feed_url(self, page):
        return absolute(page, language.url("public-history-atom"))


history_rss = public_document()(HistoryRss())
history_atom = public_document()(HistoryAtom())


def _event(page, window, host: str, lang: str) -> Event:
    """One window, its words in the active language; `lang` (BCP 47) says which on the texts."""
    said = {"language": lang}
    event = Event()
    event.add("uid", f"maintenance-{window.public_id}@{host}")
    event.add("dtstamp", window.updated_at.astimezone(UTC))
    event.add("dtstart", window.scheduled_for.astimezone(UTC))
    event.add("dtend", window.scheduled_until.astimezone(UTC))
    name = translations.name(window)
    event.add("summary", ical_line(f"{page.name}: {name}"), parameters=said)
    event.add("url", _permalink(page, window))
    event.add("status", "CANCELLED" if window.cancelled_at else "CONFIRMED")
    updates = list(window.updates.all())
    components = gettext(", ").join(c.name for c in window.components.all())
    text = render_plain(translations.body(updates[0], page).text) if updates else ""
    if components:
        affected = gettext("Affected: %(components)s.") % {"components": components}
        description = f"{affected}\n\n{text}"
    else:
        description = text
    event.add("description", ical_text(description.strip() or name), parameters=said)
    if window.status == MaintenanceStatus.COMPLETED and not window.cancelled_at:
        event.add("x-statuspage-status", "completed")
    return event


@public_document()
def maintenance_ics(request):
    page = selectors.page_get(page_of(request))
    code = language.activate(request, page)
    host = urlsplit(link_base(page)).hostname or "statuspage"
    cal = Calendar()
    cal.add("prodid", "-//statuspage//maintenance//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", ical_line(f"{page.name}: {gettext('Scheduled maintenance')}"))
    cal.add("x-wr-timezone", page.time_zone)
    for window in _windows(page):
        cal.add_component(_event(page, window, host, bcp47(code)))
    return HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
