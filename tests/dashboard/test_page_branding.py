"""Page settings' branding in the dashboard: uploads, colours, custom CSS, footer links, the
audit trail, the public page and its cache, and the preview."""

from __future__ import annotations

import io
import os
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from incidents import branding
from incidents.models import AuditEntry, Page
from statuspage import public_cache


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def _image(fmt="PNG", size=(40, 20), color=(200, 30, 30), noise=False) -> bytes:
    image = Image.new("RGB", size, color)
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def _form(page, **extra):
    data = {
        "name": page.name,
        "url": page.url,
        "time_zone": page.time_zone,
        "partial_outage_weight": "0.3",
        "degraded_weight": "0",
        "uptime_thresholds": "",
    }
    data.update(extra)
    return data


def _upload(name, content, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _post(client, page, **extra):
    return client.post("/dashboard/settings/", _form(page, **extra))


# --- uploads ---------------------------------------------------------------------------------


def test_logo_upload_is_stored_by_content_served_as_an_image_and_shown(admin_client, page, client):
    data = _image()
    response = _post(admin_client, page, logo=_upload("logo.png", data))
    assert response.status_code == 302
    page.refresh_from_db()
    assert re.fullmatch(r"[0-9a-f]{32}\.png", page.logo)
    assert (branding.branding_dir() / page.logo).read_bytes() == data
    html = client.get("/").content.decode()
    assert f'<img src="/branding/{page.logo}" alt="">' in html
    served = client.get(f"/branding/{page.logo}")
    assert served["Content-Type"] == "image/png"
    assert "immutable" in served["Cache-Control"] and "Set-Cookie" not in served
    assert served.content == data
    assert client.get(f"/branding/{'0' * 32}.png").status_code == 404


def test_favicon_upload_is_linked_from_the_public_page(admin_client, page, client):
    _post(admin_client, page, favicon=_upload("icon.ico", _image("ICO", (32, 32)), "image/x-icon"))
    page.refresh_from_db()
    assert page.favicon.endswith(".ico")
    html = client.get("/").content.decode()
    assert f'<link rel="icon" href="/branding/{page.favicon}">' in html
    assert client.get(f"/branding/{page.favicon}")["Content-Type"] == "image/x-icon"


@pytest.mark.parametrize(
    ("field", "content", "message"),
    [
        ("logo", b"GIF89a? not really, just text named .png", "not a PNG, JPEG, WEBP image"),
        ("logo", b"just text, named .png", "not a PNG, JPEG, WEBP image"),
        ("logo", b"%PDF-1.4 renamed", "not a PNG, JPEG, WEBP image"),
        ("logo", _image(noise=True, size=(400, 400)), "the limit is 300 KB"),
        ("logo", _image(size=(2100, 10)), "2100×10 pixels; the limit is 2000×2000"),
        ("logo", _image("GIF"), "must be a PNG, JPEG, WEBP image (this file is GIF)"),
        ("logo", _image()[:60], "damaged or incomplete"),
        (
            "logo",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "SVG is not accepted",
        ),
        ("favicon", _image("JPEG"), "must be a PNG, ICO image (this file is JPEG)"),
        ("favicon", _image(size=(600, 600)), "600×600 pixels; the limit is 512×512"),
    ],
)
def test_bad_uploads_are_form_errors_and_keep_the_old_image(
    admin_client, page, field, content, message
):
    _post(admin_client, page, **{field: _upload(f"{field}.png", _image(size=(16, 16)))})
    page.refresh_from_db()
    old = getattr(page, field)
    assert old
    stored = set(os.listdir(branding.branding_dir()))
    response = _post(admin_client, page, name="Changed", **{field: _upload("x.png", content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    page.refresh_from_db()
    assert getattr(page, field) == old and page.name != "Changed"
    assert set(os.listdir(branding.branding_dir())) == stored  # nothing half-written


def test_the_service_checks_images_itself(page):
    """Other doors (the API, imports) go through the same rules as the form."""
    from incidents import services
    from incidents.services import SYSTEM, ServiceError

    with pytest.raises(ServiceError, match="SVG is not accepted"):
        services.page_update(actor=SYSTEM, logo_image=b"<?xml version='1.0'?><svg/>")
    with pytest.raises(ServiceError, match="cannot be named"):
        services.page_update(actor=SYSTEM, logo="../../etc/passwd")
    assert Page.objects.get().logo == ""


def test_a_refused_value_stores_no_image(page, data_dir):
    from incidents import services
    from incidents.services import SYSTEM, ServiceError

    with pytest.raises(ServiceError):
        services.page_update(actor=SYSTEM, logo_image=_image(), accent_color="blue")
    assert not branding.branding_dir().exists() or not os.listdir(branding.branding_dir())


def test_remove_logo(admin_client, page, client):
    _post(admin_client, page, logo=_upload("logo.png", _image()))
    _post(admin_client, page, remove_logo="on")
    assert Page.objects.get().logo == ""
    assert "<img" not in client.get("/").content.decode()


# --- colours, CSS, links ---------------------------------------------------------------------


def test_colours_css_and_links_are_saved_audited_and_public_at_once(
    admin_client, page, client, django_capture_on_commit_callbacks
):
    before = client.get("/").content.decode()  # cached now
    assert 'href="https://help.example.com/"' not in before
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            admin_client,
            page,
            accent_color="#8A2BE2",
            color_major_outage="#990000",
            custom_css=".banner { border-radius: 0 }",
            link_label_0="Help",
            link_url_0="https://help.example.com/",
        )
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.accent_color == "#8a2be2"
    assert page.status_colors == {"major_outage": "#990000"}
    assert page.footer_links == [{"label": "Help", "url": "https://help.example.com/"}]
    entry = AuditEntry.objects.filter(action="page.update").latest("id")
    assert entry.before["accent_color"] == "" and entry.after["accent_color"] == "#8a2be2"
    assert entry.after["footer_links"] == page.footer_links
    assert "name" not in entry.after  # only what changed
    # The public page shows it once the generation memo lapses (half a second), although it
    # was cached before: the save bumped the generation.
    time.sleep(public_cache.GENERATION_MEMO_SECONDS + 0.1)
    html = client.get("/").content.decode()
    assert 'href="https://help.example.com/"' in html
    [href] = re.findall(r'href="(/brand\.css\?v=[0-9a-f]{12})"', html)
    css = client.get(href).content.decode()
    assert "--accent:#8a2be2;" in css and "--c-major_outage:#990000;" in css
    assert css.endswith(".banner { border-radius: 0 }")


def test_the_stylesheet_revalidates_as_a_stylesheet(client, page):
    """A 304 updates the browser's stored headers: it must not say text/html."""
    Page.objects.update(accent_color="#123456")
    first = client.get("/brand.css")
    again = client.get("/brand.css", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["Content-Type"] == "text/css; charset=utf-8"


def test_each_save_is_its_own_audit_entry(admin_client, page):
    _post(admin_client, page, accent_color="#112233")
    _post(admin_client, page, accent_color="#223344")
    entries = AuditEntry.objects.filter(action="page.update").order_by("id")
    assert [(e.before["accent_color"], e.after["accent_color"]) for e in entries] == [
        ("", "#112233"),
        ("#112233", "#223344"),
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"accent_color": "blue"}, "is not a colour like #0b5cad"),
        ({"color_operational": "#12345"}, "is not a colour like #0b5cad"),
        ({"link_label_0": "Bad", "link_url_0": "javascript:alert(1)"}, "is not a web address"),
        ({"link_label_0": "Bad", "link_url_0": "ftp://example.com/"}, "is not a web address"),
        ({"link_label_0": "No URL"}, "Give the link&#x27;s URL"),
        ({"link_url_0": "https://example.com/"}, "Give the link&#x27;s label"),
        ({"custom_css": "a{}" * 7000}, "at most 20000 characters"),
    ],
)
def test_bad_branding_values_are_form_errors(admin_client, page, extra, message):
    response = _post(admin_client, page, **extra)
    assert response.status_code == 400
    assert message in response.content.decode()
    page.refresh_from_db()
    assert (page.accent_color, page.status_colors, page.footer_links, page.custom_css) == (
        "",
        {},
        [],
        "",
    )


def test_too_many_footer_links(admin_client, page):
    links = {}
    for i in range(branding.MAX_FOOTER_LINKS + 1):
        links[f"link_label_{i}"] = f"L{i}"
        links[f"link_url_{i}"] = f"https://example.com/{i}"
    response = _post(admin_client, page, **links)
    assert response.status_code == 400
    assert f"At most {branding.MAX_FOOTER_LINKS} footer links." in response.content.decode()
    assert Page.objects.get().footer_links == []
    # At the limit it is accepted.
    del links[f"link_label_{branding.MAX_FOOTER_LINKS}"]
    del links[f"link_url_{branding.MAX_FOOTER_LINKS}"]
    assert _post(admin_client, page, **links).status_code == 302
    assert len(Page.objects.get().footer_links) == branding.MAX_FOOTER_LINKS


def test_the_model_refuses_too_many_links_from_any_door(page):
    from incidents import services
    from incidents.services import SYSTEM, ServiceError

    links = [{"label": "x", "url": "https://x.example/"}] * (branding.MAX_FOOTER_LINKS + 1)
    with pytest.raises(ServiceError, match="At most"):
        services.page_update(actor=SYSTEM, footer_links=links)


def test_low_contrast_colours_are_warned_about_not_refused(admin_client, page):
    response = _post(admin_client, page, accent_color="#ffff00", color_operational="#0a0a0a")
    assert response.status_code == 302
    html = admin_client.get("/dashboard/settings/").content.decode()
    assert "Accent colour #ffff00: contrast 1.1:1 against the light background" in html
    assert "Operational colour #0a0a0a: contrast 1.0:1 against the dark background" in html


def test_contrast_ratio_matches_wcag():
    assert branding.contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert branding.contrast_ratio("#0b5cad", "#ffffff") == pytest.approx(6.6, abs=0.1)
    assert branding.contrast_warnings("Accent", "#0b5cad") == []


def test_time_zone_and_name_from_the_form(admin_client, page, client):
    _post(admin_client, page, name="Acme status", time_zone="America/Sao_Paulo")
    html = client.get("/").content.decode()
    assert "Acme status" in html and "America/Sao_Paulo" in html


# --- the preview -------------------------------------------------------------------------------


def test_preview_shows_unsaved_values_and_never_reaches_the_public_cache(
    admin_client, page, client
):
    public_before = client.get("/").content
    response = admin_client.post(
        "/dashboard/settings/preview/",
        _form(
            page,
            name="Preview name",
            accent_color="#8a2be2",
            link_label_0="Preview link",
            link_url_0="https://preview.example/",
            logo=_upload("l.png", _image()),
        ),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview name" in html and "https://preview.example/" in html
    assert "Preview: not saved yet." in html
    assert '<img src="data:image/png;base64,' in html
    assert response["Cache-Control"] == "no-store, private"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    [href] = re.findall(r'href="(/dashboard/settings/preview\.css\?v=[0-9a-f]{12})"', html)
    css = admin_client.get(href)
    assert "--accent:#8a2be2;" in css.content.decode()
    assert css["Cache-Control"] == "no-store, private"
    # Nothing saved, nothing public, nothing stored.
    page.refresh_from_db()
    assert (page.name, page.accent_color, page.logo) != ("Preview name", "#8a2be2", "")
    assert page.accent_color == "" and page.logo == ""
    assert client.get("/").content == public_before
    for key in list(public_cache.local.items):
        doc = public_cache.local.items[key]
        assert b"Preview name" not in doc.body, key
    assert not AuditEntry.objects.filter(action="page.update").exists()


def test_preview_with_invalid_values_shows_the_saved_ones_and_says_so(admin_client, page):
    response = admin_client.post(
        "/dashboard/settings/preview/", _form(page, accent_color="nope", name="Still shown")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not valid yet, so shown as saved: Accent colour." in html
    assert "Still shown" in html


def test_preview_is_for_admins_only(viewer_client, page, anon_client):
    for client in (viewer_client, anon_client):
        response = client.post("/dashboard/settings/preview/", _form(page, name="Sneaky"))
        assert response.status_code in (302, 403)
        assert "Sneaky" not in response.content.decode()
        assert client.get("/dashboard/settings/preview/").status_code in (302, 403)
        assert client.get("/dashboard/settings/preview.css").status_code in (302, 403)


def test_settings_page_holds_the_preview_frame_and_button(admin_client, page):
    html = admin_client.get("/dashboard/settings/").content.decode()
    assert '<iframe name="page-preview"' in html
    assert (
        'formtarget="page-preview"' in html and 'formaction="/dashboard/settings/preview/"' in html
    )
    assert 'enctype="multipart/form-data"' in html


# --- the rules below the form (the admin and other doors) ------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status_colors": ["#123456"]}, "mapping of status to colour"),
        ({"status_colors": {"major_outage": "red"}}, "colour for major_outage"),
        ({"footer_links": {"label": "x"}}, "must be a list"),
        ({"footer_links": [{"label": "x"}]}, "has a label and a URL"),
        ({"footer_links": [{"label": " ", "url": "https://x.example/"}]}, "label of 1 to 60"),
        (
            {"footer_links": [{"label": "x", "url": "https://x.example/" + "a" * 500}]},
            "at most 500",
        ),
        ({"footer_links": [{"label": "x", "url": "https:///nohost"}]}, "not a web address"),
        ({"accent_color": "#12345g"}, "not a colour"),
    ],
)
def test_the_model_rules_refuse_bad_branding(page, fields, message):
    from incidents import services
    from incidents.services import SYSTEM, ServiceError

    with pytest.raises(ServiceError, match=message):
        services.page_update(actor=SYSTEM, **fields)


def test_an_unwritable_data_dir_refuses_the_change_and_keeps_the_page(page, data_dir):
    from incidents import services
    from incidents.services import SYSTEM, ServiceError

    (data_dir / "branding").write_text("a file where the folder should be")
    with pytest.raises(ServiceError, match="could not be stored"):
        services.page_update(actor=SYSTEM, logo_image=_image(), name="Not saved")
    page.refresh_from_db()
    assert page.name != "Not saved" and page.logo == ""


def test_a_decompression_bomb_is_refused_before_decoding():
    # 20000 x 20000 pixels in a tiny PNG: the size check refuses it unread; past Pillow's own
    # limit it is refused as a bomb either way.
    image = Image.new("1", (20000, 20000))
    out = io.BytesIO()
    image.save(out, "PNG")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        branding.check_image(out.getvalue(), branding.LOGO)
    big = branding.ImageRules("logo", ("PNG",), max_bytes=10**7, max_side=10**6)
    with pytest.raises(ValidationError, match="not a PNG image within 1000000×1000000 pixels"):
        branding.check_image(out.getvalue(), big)
