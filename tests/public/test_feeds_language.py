"""The feeds in the reader's language: `/de/history.atom`, `/de/history.rss` and
`/de/maintenance.ics` are the German feeds (the same prefix as the pages), with the catalogs'
fixed words, the operator's translations of names and bodies where there are some, the original
otherwise, and their own language said; the German pages link to them."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from django.utils import translation
from icalendar import Calendar

from incidents import services
from incidents.models import Page
from tests.public.conftest import reset_read_path

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def parse(response):
    return ElementTree.fromstring(response.content)  # noqa: S314 - our own output


def german(message: str) -> str:
    with translation.override("de"):
        return translation.gettext(message)


@pytest.fixture
def translated(site, operator):
    """German for the open incident's name and first update, and for the window's name and
    update; the resolved incident has none."""
    incident, window = site["open"], site["maintenance"]
    services.translations_set(
        obj=incident, translations={"de": {"name": "API-Fehler"}}, actor=operator
    )
    first = incident.updates.order_by("id").first()
    services.translations_set(
        obj=first, translations={"de": {"body": "Wir **untersuchen** Fehler."}}, actor=operator
    )
    services.translations_set(
        obj=window, translations={"de": {"name": "Datenbank-Upgrade"}}, actor=operator
    )
    services.translations_set(
        obj=window.updates.get(),
        translations={"de": {"body": "Aktualisierung auf eine neue Hauptversion."}},
        actor=operator,
    )
    return site


def _entries(response) -> dict[str, ElementTree.Element]:
    return {e.find(f"{ATOM}title").text: e for e in parse(response).findall(f"{ATOM}entry")}


def test_the_german_atom_feed_is_german_where_it_can_be(client, translated, page):
    response = client.get("/de/history.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = parse(response)
    assert feed.get(XML_LANG) == "de"
    title = german("%(page)s status history (Atom)") % {"page": page.name}
    assert title != f"{page.name} status history (Atom)"  # the catalog has it
    assert feed.find(f"{ATOM}title").text == title
    assert feed.find(f"{ATOM}subtitle").text == german("Incident and maintenance history")
    entries = _entries(response)
    maintenance = german("Maintenance: %(name)s") % {"name": "Datenbank-Upgrade"}
    # Translated names where there are some, the original where there is none.
    assert set(entries) == {"API-Fehler", "Slow website", maintenance}
    api = entries["API-Fehler"].find(f"{ATOM}summary").text
    assert "<strong>untersuchen</strong>" in api
    # Said to be a translation, with the original kept; the untranslated update stands as it is.
    assert "Übersetzung (Original: Englisch)" in api
    assert "<strong>investigating</strong>" in api and "Cause identified." in api
    # The statuses are the catalog's words.
    assert german("Identified") != "Identified"
    assert f"<strong>{german('Identified')}</strong>" in api
    # The entries lead to the German pages; their ids are those of the unprefixed feed.
    public_id = translated["open"].public_id
    link = entries["API-Fehler"].find(f"{ATOM}link").get("href")
    assert link == f"{page.url}/de/incidents/{public_id}"
    assert entries["API-Fehler"].find(f"{ATOM}id").text == f"{page.url}/incidents/{public_id}"
    self_link = feed.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == f"{page.url}/de/history.atom"


def test_the_german_rss_feed_says_its_language(client, translated, page):
    response = client.get("/de/history.rss")
    assert response.status_code == 200
    channel = parse(response).find("channel")
    assert channel.find("language").text == "de"
    assert channel.find("title").text == german("%(page)s status history (RSS)") % {
        "page": page.name
    }
    assert channel.find("link").text == f"{page.url}/de/history"
    titles = {i.find("title").text for i in channel.findall("item")}
    assert "API-Fehler" in titles and "Slow website" in titles


def test_the_english_feeds_are_unchanged_by_the_translations(client, translated, page):
    feed = parse(client.get("/history.atom"))
    assert feed.get(XML_LANG) == "en"
    assert feed.find(f"{ATOM}title").text == f"{page.name} status history (Atom)"
    entries = _entries(client.get("/history.atom"))
    assert set(entries) == {"API errors", "Slow website", "Maintenance: Database upgrade"}
    summary = entries["API errors"].find(f"{ATOM}summary").text
    assert "untersuchen" not in summary and "Übersetzung" not in summary
    assert parse(client.get("/history.rss")).find("channel/language").text == "en"


def test_a_language_without_translations_gets_the_originals_in_its_own_words(client, translated):
    feed = parse(client.get("/fr/history.atom"))
    assert feed.get(XML_LANG) == "fr"
    titles = {e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")}
    with translation.override("fr"):
        window = translation.gettext("Maintenance: %(name)s") % {"name": "Database upgrade"}
    assert titles == {"API errors", "Slow website", window}
    # A tag with a region is written as BCP 47 wants it.
    assert parse(client.get("/pt-br/history.atom")).get(XML_LANG) == "pt-BR"
    assert parse(client.get("/zh-hans/history.rss")).find("channel/language").text == "zh-Hans"


def test_the_german_calendar_is_german(client, translated, page):
    response = client.get("/de/maintenance.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.content)
    assert str(cal["x-wr-calname"]) == f"{page.name}: {german('Scheduled maintenance')}"
    event = cal.walk("VEVENT")[0]
    assert str(event["summary"]) == f"{page.name}: Datenbank-Upgrade"
    assert event["summary"].params["LANGUAGE"] == "de"
    description = str(event["description"])
    assert german("Affected: %(components)s.") % {"components": "Database"} in description
    assert "Aktualisierung auf eine neue Hauptversion." in description
    public_id = translated["maintenance"].public_id
    assert str(event["url"]) == f"{page.url}/de/maintenance/{public_id}"
    # The same event in every language: a calendar that had the English one updates it.
    english = Calendar.from_ical(client.get("/maintenance.ics").content).walk("VEVENT")[0]
    assert str(english["uid"]) == str(event["uid"])
    assert str(english["summary"]) == f"{page.name}: Database upgrade"
    assert english["summary"].params["LANGUAGE"] == "en"


def test_the_unprefixed_feeds_are_in_the_pages_default_language(client, translated, page):
    Page.objects.update(language="de")
    reset_read_path()
    feed = parse(client.get("/history.atom"))
    assert feed.get(XML_LANG) == "de"
    assert "API-Fehler" in {e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")}
    # The default's feed is the unprefixed one: its links carry no prefix.
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{page.url}/history.atom"
    # English is then a prefix of its own.
    assert parse(client.get("/en/history.atom")).get(XML_LANG) == "en"


def test_each_language_is_its_own_cached_document(client, translated):
    # The second request of each is the cache's copy: neither language may answer for the other.
    for _ in range(2):
        assert parse(client.get("/history.atom")).get(XML_LANG) == "en"
        assert parse(client.get("/de/history.atom")).get(XML_LANG) == "de"


def test_a_language_the_install_does_not_offer_has_no_feed(client, translated, settings):
    settings.PUBLIC_LANGUAGES = ["en", "de"]
    assert client.get("/de/history.atom").status_code == 200
    for path in ("/fr/history.atom", "/fr/history.rss", "/fr/maintenance.ics"):
        assert client.get(path).status_code == 404, path
    # A language code that is not ours is no prefix at all.
    assert client.get("/xx/history.atom").status_code == 404


def _alternates(html: str) -> dict[str, str]:
    links = re.findall(r'<link rel="alternate" type="([^"]+)"[^>]*href="([^"]+)"', html)
    return dict(links)


@pytest.mark.parametrize(
    ("path", "prefix"),
    [("/de/", "/de"), ("/de/history", "/de"), ("/", ""), ("/history", ""), ("/ar/uptime", "/ar")],
)
def test_each_languages_pages_link_its_feeds(client, translated, path, prefix):
    html = client.get(path, HTTP_ACCEPT=BROWSER).content.decode()
    found = _alternates(html)
    assert found["application/atom+xml"] == f"{prefix}/history.atom"
    assert found["application/rss+xml"] == f"{prefix}/history.rss"
    # The footer's links too, and the calendar's.
    assert f'href="{prefix}/maintenance.ics"' in html


def test_a_maintenance_page_links_the_calendar_in_its_language(client, translated):
    public_id = translated["maintenance"].public_id
    html = client.get(f"/de/maintenance/{public_id}", HTTP_ACCEPT=BROWSER).content.decode()
    assert 'href="/de/maintenance.ics"' in html
    assert 'href="/maintenance.ics"' not in html
