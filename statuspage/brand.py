"""The page's branding as the public pages link it: its own stylesheet (colours, custom CSS),
logo and favicon. Shared by the public site (the saved page) and the dashboard's preview
(unsaved values); pure functions, no database.

No inline <style>: the colours and custom CSS are a stylesheet of their own, linked with a
version taken from its content, so the pages keep a strict style-src 'self'."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.urls import reverse
from markupsafe import Markup

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Keys of Page.status_colors that may override the palette (everything else is ignored).
COLOR_KEYS = (
    "operational", "under_maintenance", "degraded_performance", "partial_outage",
    "major_outage", "none", "minor", "major", "critical", "maintenance",
    "level-0", "level-1", "level-2", "level-3", "level-4",
)  # fmt: skip


def brand_css(page) -> Markup:
    """The page's colours as CSS variables, then its custom CSS (appended after the built-in
    rules), for the page's own stylesheet (/brand.css).

    Colours must be #rrggbb; "<" is escaped, so the text stays inert anywhere it is put."""
    lines = []
    if page.accent_color and HEX_COLOR.match(page.accent_color):
        lines.append(f"--accent:{page.accent_color};")
    colors = page.status_colors if isinstance(page.status_colors, dict) else {}
    for key in COLOR_KEYS:
        value = colors.get(key)
        if isinstance(value, str) and HEX_COLOR.match(value):
            lines.append(f"--c-{key}:{value};")
    css = ":root{" + "".join(lines) + "}\n" if lines else ""
    custom = (page.custom_css or "").replace("<", "\\3c ")
    return Markup(css + custom)  # noqa: S704 - values checked above, "<" neutralised


@dataclass(frozen=True)
class Brand:
    """What the page's <head> and header link to: its stylesheet (empty: none), logo and
    favicon (empty: none)."""

    css_href: str
    logo_src: str
    favicon_src: str


def css_version(css: str) -> str:
    return hashlib.sha256(css.encode()).hexdigest()[:12]


def brand_assets(page) -> Brand:
    """The saved page's branding URLs. The stylesheet's carries a version taken from its
    content: a change is a new URL (fetched at once), no change keeps the cached one."""
    css = brand_css(page)
    href = f"{reverse('public-brand-css')}?v={css_version(css)}" if css else ""
    return Brand(
        css_href=href,
        logo_src=image_src(page.logo) or safe_url(page.logo_url),
        favicon_src=image_src(page.favicon),
    )


def image_src(name: str) -> str:
    return reverse("public-branding-file", args=[name]) if name else ""


def safe_url(value: str | None) -> str:
    """Operator-entered URLs (logo, footer links): http(s) only, anything else dropped."""
    if not value or urlsplit(value.strip()).scheme.lower() not in ("http", "https"):
        return ""
    return value.strip()
