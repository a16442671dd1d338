"""The public site's catalogs are complete and correct, and a page rendered in any of our
languages shows none of the English words it was written in."""

from __future__ import annotations

import gettext
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import timezone, translation

from incidents.languages import CODES, DEFAULT, bcp47

LOCALE = Path(settings.BASE_DIR) / "locale"
TRANSLATED = sorted(CODES - {DEFAULT})
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
EXPECTED_PLURALS = {"ja": 1, "zh-hans": 1, "pl": 3, "ar": 6, "he": 3}


def _dir(code: str) -> Path:
    return LOCALE / translation.to_locale(code) / "LC_MESSAGES"


def _catalog(code: str):
    with open(_dir(code) / "django.po", "rb") as f:
        return read_po(f)


def _template_ids() -> set:
    with open(LOCALE / "django.pot", "rb") as f:
        return {(m.context, m.id) for m in read_po(f) if m.id}


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalog_is_complete_without_fuzzy_or_placeholder_mismatch(code):
    catalog = _catalog(code)
    messages = [m for m in catalog if m.id]
    # Every message of the template, no more, none fuzzy, none empty.
    assert {(m.context, m.id) for m in messages} == _template_ids()
    assert [m.id for m in messages if m.fuzzy] == []
    assert catalog.num_plurals == EXPECTED_PLURALS.get(code, 2)
    for m in messages:
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(strings), f"{code}: untranslated {ids[0]!r}"
        assert len(strings) == (catalog.num_plurals if isinstance(m.id, tuple) else 1)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            used = set(PLACEHOLDER.findall(text))
            # A plural form may say its number in words ("يومين", "two days"): only the
            # count may be left out, and nothing may be added or misspelt.
            assert used <= wanted, f"{code}: {text!r} uses {used - wanted}"
            optional = {"num", "count"} if isinstance(m.id, tuple) else set()
            assert wanted - optional <= used, f"{code}: {text!r} drops {wanted - used}"
            assert "%" not in PLACEHOLDER.sub("", text), f"{code}: stray % in {text!r}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
@pytest.mark.parametrize("code", TRANSLATED)
def test_msgfmt_check_format_is_clean(code):
    po = _dir(code) / "django.po"
    result = subprocess.run(  # noqa: S603 - a fixed program on our own file
        ["msgfmt", "--check-format", "--check-header", "-o", "/dev/null", str(po)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("code", TRANSLATED)
def test_compiled_catalog_matches_its_source(code):
    """The .mo files are committed (a fresh clone needs no gettext): each must say what its
    .po says. `make messages` compiles them."""
    with open(_dir(code) / "django.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    for m in _catalog(code):
        if not m.id:
            continue
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        if m.context:
            key = f"{m.context}\x04{key}"
        if isinstance(m.id, tuple):
            for n, form in enumerate(m.string):
                assert compiled._catalog[(key, n)] == form
        else:
            assert compiled._catalog[key] == m.string


# --- no English left on a translated page ---------------------------------------------------


def _english_texts() -> dict[str, tuple[set[str], set[str]]]:
    """Per language, the English UI texts whose translation differs (words some languages
    keep as they are, "Status", "SMS", "Webhook", may stay): whole messages, met as a whole
    text or attribute value, and the phrases of two words or more between a message's
    placeholders, met anywhere (a single word between placeholders, "page", "Over", is often
    a word of the other language too)."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    for code in TRANSLATED:
        wholes, phrases = set(), set()
        for m in _catalog(code):
            if not m.id:
                continue
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            for english in ids:
                if english in strings:
                    continue
                if not PLACEHOLDER.search(english) and re.search(r"[A-Za-z]{2}", english):
                    wholes.add(english)
                for part in PLACEHOLDER.split(english)[::2]:
                    part = part.strip(" .,:;()–·“”←→")
                    if " " in part and len(part) >= 6:
                        phrases.add(part)
        out[code] = (wholes, phrases)
    return out


ENGLISH = _english_texts()
# What the operator wrote (names, descriptions, update bodies) is not ours to translate.
SITE_TEXT = re.compile(
    r"API errors|Slow website|Database upgrade|The public REST API|investigating|"
    r"Cause identified|Pages load slowly|Fixed|What happened|A cache expired|Upgrading to a "
    r"new major version|Statuspage-style|Standard Webhooks",
    re.IGNORECASE,
)


def _texts(body: str) -> list[str]:
    """What a reader meets: each element's text and each title, label or description."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    attrs = re.findall(r'(?:aria-label|title|alt|content|placeholder)="([^"]*)"', body)
    nodes = re.split(r"<[^>]+>", body)
    return [t for t in (html.unescape(x).strip() for x in [*nodes, *attrs]) if t]


def _pages(site) -> list[str]:
    return [
        "/",
        "/history",
        "/history?component=nope",
        f"/history?component={site['api'].public_id}&q=errors",
        "/uptime",
        f"/incidents/{site['open'].public_id}",
        f"/incidents/{site['resolved'].public_id}",
        f"/maintenance/{site['maintenance'].public_id}",
    ]


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_public_page_is_translated(client, site, page, code):
    for path in _pages(site):
        response = client.get(f"/{code}{path}", HTTP_ACCEPT="text/html")
        assert response.status_code == 200, path
        texts = [SITE_TEXT.sub(" ", t.replace(page.name, " ")) for t in _texts(response.text)]
        wholes, phrases = ENGLISH[code]
        joined = " | ".join(texts)
        left = sorted({t for t in texts if t in wholes} | {p for p in phrases if p in joined})
        assert left == [], f"{code}{path}: English left: {left}"


def _feed_texts(response) -> list[str]:
    """A feed's texts as a reader meets them: XML element texts and, within them, the HTML
    of each entry (Atom's summary, RSS's description) as its own page's texts; an iCalendar
    file's text properties."""
    if response["Content-Type"].startswith("text/calendar"):
        from icalendar import Calendar

        cal = Calendar.from_ical(response.content)
        texts = [str(cal["x-wr-calname"])]
        for event in cal.walk("VEVENT"):
            texts += [str(event["summary"]), *str(event["description"]).splitlines()]
            texts.append(str(event["description"]).partition(":")[0])
        return texts
    from xml.etree import ElementTree

    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own output
    texts = []
    for element in root.iter():
        text = (element.text or "").strip()
        if text and element.tag.rsplit("}", 1)[-1] in ("summary", "description"):
            texts += _texts(text)
        elif text:
            texts.append(text)
    return texts


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_feed_is_translated(client, site, page, code):
    for path in ("/history.atom", "/history.rss", "/maintenance.ics"):
        response = client.get(f"/{code}{path}")
        assert response.status_code == 200, path
        texts = _feed_texts(response)
        assert len(texts) > 5, path  # the entries were read
        assert _left(code, texts, page.name) == [], f"{code}{path}: English left"


# --- the subscriber pages, an email and an SMS in each language -------------------------------


def _left(code: str, texts: list[str], page_name: str) -> list[str]:
    texts = [SITE_TEXT.sub(" ", t.replace(page_name, " ")) for t in texts]
    wholes, phrases = ENGLISH[code]
    joined = " | ".join(texts)
    return sorted({t for t in texts if t in wholes} | {p for p in phrases if p in joined})


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_subscriber_page_is_translated(client, site, page, code):
    from notifications import links
    from notifications.models import Channel, Subscriber, SubscriberState

    sub = Subscriber.objects.create(
        channel=Channel.WEBHOOK,
        address="https://hooks.example.test/status",
        contact_email="ops@example.test",
        state=SubscriberState.ACTIVE,
        confirmed_at=timezone.now(),
        language=code,
    )
    pending = Subscriber.objects.create(
        channel=Channel.EMAIL, address="new@example.test", language=code
    )
    answers = {
        "form": client.get(f"/{code}/subscribe"),
        "form, an error": client.post(
            f"/{code}/subscribe", {"channel": "email", "address_email": "nope"}
        ),
        "email sent": client.post(
            f"/{code}/subscribe", {"channel": "email", "address_email": "b@example.test"}
        ),
        "sms sent": client.post(
            f"/{code}/subscribe", {"channel": "sms", "address_sms": "+14155550123"}
        ),
        "webhook sent": client.post(
            f"/{code}/subscribe",
            {
                "channel": "webhook",
                "address_webhook": "https://hooks.example.test/other",
                "contact_email": "ops@example.test",
            },
        ),
        "wrong code": client.post(
            f"/{code}/subscribe/sms", {"address": "+14155550123", "code": "000000"}
        ),
        "confirm": client.get("/" + links.confirm_url(pending).split("/", 3)[3]),
        "confirmed": client.post("/" + links.confirm_url(pending).split("/", 3)[3]),
        "manage": client.get("/" + links.manage_url(sub).split("/", 3)[3]),
        "saved": client.post("/" + links.manage_url(sub).split("/", 3)[3], {"language": code}),
        "unsubscribe": client.get("/" + links.unsubscribe_url(sub).split("/", 3)[3]),
        "unsubscribed": client.post("/" + links.unsubscribe_url(sub).split("/", 3)[3]),
    }
    for name, response in answers.items():
        assert response.status_code in (200, 400), name
        body = response.content.decode()
        assert f'<html lang="{bcp47(code)}"' in body, name
        assert _left(code, _texts(body), page.name) == [], f"{code} {name}: English left"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_email_and_sms_is_translated(site, page, code):
    from notifications import render
    from notifications.models import Event

    events = Event.objects.filter(incident=site["open"]) | Event.objects.filter(
        maintenance=site["maintenance"]
    )
    assert events.count() >= 2
    for event in events:
        view = render.event_view(event).in_language(code)
        subject, text, body = view.email_parts(
            manage_url="https://x.test/m", unsubscribe_url="https://x.test/u"
        )
        texts = [*_texts(body), subject, *text.splitlines(), view.sms()]
        # "Label: value" lines of the text part: the label alone is a message.
        texts += [line.partition(":")[0] for line in text.splitlines()]
        assert _left(code, texts, page.name) == [], f"{code} {event.kind}: English left"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_error_page_is_translated(client, rf, page, code):
    from django.db import OperationalError

    from statuspage import errors

    answers = {"404": client.get(f"/{code}/no-such-page")}
    request = rf.get(f"/{code}/history")
    answers["403"] = errors.forbidden(request, Exception())
    answers["400"] = errors.bad_request(request, Exception())
    for name, exc in (("500", RuntimeError("bug")), ("503", OperationalError("refused"))):
        try:
            raise exc
        except type(exc):
            answers[name] = errors.server_error(request)
    answers["503 of the form"] = errors.database_unavailable(request)
    for name, response in answers.items():
        assert response.status_code == int(name[:3]), name
        body = response.content.decode()
        assert f'<html lang="{bcp47(code)}" dir="{"rtl" if code in ("ar", "he") else "ltr"}">' in (
            body
        ), name
        assert _left(code, _texts(body), page.name) == [], f"{code} {name}: English left"


def test_error_pages_in_english_and_under_the_api(client, rf, db):
    # db: an unknown address may be a page's, so its page routes are read.
    from statuspage import errors

    body = client.get("/no-such-page").content.decode()
    assert '<html lang="en" dir="ltr">' in body and "Page not found" in body
    # A view that chose its page's language before failing: the page says it in that one.
    with translation.override("de"):
        try:
            raise RuntimeError("bug")
        except RuntimeError:
            assert "Serverfehler" in errors.server_error(rf.get("/history")).content.decode()
    # Under /api/ the answer is English JSON (a machine format is never translated).
    with translation.override("de"):
        try:
            raise RuntimeError("bug")
        except RuntimeError:
            answer = errors.server_error(rf.get("/api/v1/incidents"))
    assert json.loads(answer.content) == {"error": errors.SERVER_ERROR}
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and "Seite" not in api.content.decode()


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_email_to_a_webhook_owner_is_translated(page, code):
    from notifications import render

    ctx = {
        "page_name": page.name,
        "page_url": "https://x.test/subscribe",
        "address": "https://hooks.example.test/status",
        "failures": 10,
        "last_error": "HTTP 500",
        "purge_days": 30,
        "manage_url": "https://x.test/m",
    }
    texts = []
    with translation.override(code):
        for name in ("quarantine", "webhook_ready"):
            for part in ("subject", "body"):
                text = render.render_text(f"notifications/email/{name}_{part}.txt", ctx)
                texts += text.splitlines()
    assert _left(code, texts, page.name) == [], f"{code}: English left"


@pytest.mark.frozen_at("2026-11-18T12:02:00+00:00")
@pytest.mark.parametrize("code", TRANSLATED)
def test_the_system_metrics_pages_are_translated(client, page, api, code):
    from datetime import timedelta

    from incidents.services import Actor
    from statuspage.monitors.rollups import rollup_add
    from statuspage.monitors.services import monitor_save

    monitor = monitor_save(
        actor=Actor(label="alice", via="dashboard"),
        monitor=None,
        data={"name": "Health", "kind": "tcp", "host": "192.0.2.1", "port": 443,
              "component_id": api.public_id},
    )  # fmt: skip
    now = timezone.now()
    rollup_add(monitor_id=monitor.pk, points=[(now - timedelta(minutes=30), 1234.0)])
    for path in ("/system-metrics", "/system-metrics/week", "/system-metrics/month"):
        response = client.get(f"/{code}{path}")
        assert response.status_code == 200, path
        texts = [t.replace("Health", " ") for t in _texts(response.content.decode())]
        assert _left(code, texts, page.name) == [], f"{code}{path}: English left"
