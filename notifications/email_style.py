"""The public design system, as an email needs it: inline styles and one small dark-mode block.

Mail clients drop linked stylesheets and many drop <style> blocks (Gmail keeps them, Outlook
on Windows ignores most of it), so every rule that matters is an inline `style` attribute.
Dark mode is the enhancement: the <style> block's `prefers-color-scheme: dark` rules (with
`!important`, to win over the inline light values) apply where a client supports them (Apple
Mail, iOS, Outlook for Mac, Thunderbird); elsewhere the light design stands, readable as is.

The values are status.css's tokens (statuspage/static/public/status.css, light and dark);
tests/notifications/test_email_render.py reads that file and fails when they drift apart.
"""

from __future__ import annotations

import re

from markupsafe import Markup

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'

# status.css `:root` (light) and its `prefers-color-scheme: dark` overrides.
LIGHT = {
    "bg": "#ffffff",
    "fg": "#1f2328",
    "muted": "#57606a",
    "line": "#d0d7de",
    "card": "#f6f8fa",
    "accent": "#0b5cad",
    "on-accent": "#ffffff",
    "link": "#0b5cad",
}
DARK = {
    "bg": "#0d1117",
    "fg": "#e6edf3",
    "muted": "#9da7b3",
    "line": "#30363d",
    "card": "#161b22",
    "link": "#6cb6ff",
}
# Status text colours (status.css --c-* light, --t-* dark): AA on the card in each scheme.
STATUS_LIGHT = {
    "operational": "#1a7f37",
    "under_maintenance": "#0b5cad",
    "degraded_performance": "#8a5a00",
    "partial_outage": "#b34100",
    "major_outage": "#c11f2b",
}
STATUS_DARK = {
    "operational": "#3fb950",
    "under_maintenance": "#58a6ff",
    "degraded_performance": "#d29922",
    "partial_outage": "#f0883e",
    "major_outage": "#ff7b72",
}
# The tone (a component status colour) and icon of each incident or maintenance status: the
# icon and the words carry the meaning, the colour is a third cue.
TONES = {
    "investigating": ("major_outage", "!"),
    "identified": ("partial_outage", "!"),
    "monitoring": ("degraded_performance", "~"),
    "resolved": ("operational", "\u2713"),
    "postmortem": ("operational", "\u2713"),
    "scheduled": ("under_maintenance", "\u25f7"),
    "in_progress": ("under_maintenance", "\u25f7"),
    "verifying": ("under_maintenance", "\u25f7"),
    "completed": ("operational", "\u2713"),
    "cancelled": ("muted", "\u00d7"),
    "operational": ("operational", "\u2713"),
    "under_maintenance": ("under_maintenance", "\u25f7"),
    "degraded_performance": ("degraded_performance", "~"),
    "partial_outage": ("partial_outage", "!"),
    "major_outage": ("major_outage", "\u00d7"),
}


def tone(status: str) -> tuple[str, str]:
    """(CSS class suffix, icon) for a status; unknown ones read as muted text."""
    return TONES.get(status, ("muted", "\u2022"))


def color(tone_name: str) -> str:
    return STATUS_LIGHT.get(tone_name, LIGHT["muted"])


def dark_css() -> str:
    """The <style> block: dark values for the elements that carry an `e-*` class."""
    status = " ".join(
        f".e-st-{name}{{color:{value}!important}}" for name, value in STATUS_DARK.items()
    )
    return (
        ":root{color-scheme:light dark;supported-color-schemes:light dark}"
        "@media (prefers-color-scheme: dark){"
        f".e-page{{background:{DARK['bg']}!important;color:{DARK['fg']}!important}}"
        f".e-card{{background:{DARK['card']}!important;border-color:{DARK['line']}!important}}"
        f".e-fg{{color:{DARK['fg']}!important}}"
        f".e-muted,.e-st-muted{{color:{DARK['muted']}!important}}"
        f".e-link{{color:{DARK['link']}!important}}"
        f".e-line{{border-color:{DARK['line']}!important}}"
        f".e-code{{background:{DARK['bg']}!important;color:{DARK['fg']}!important}}"
        f"{status}}}"
    )


# Inline styles of the sanitised Markdown's tags. Headings sit below the email's own title
# (20 px): an operator's `#` must not outshout the headline.
_P = "margin:0 0 12px"
_MD_STYLES = {
    "p": _P,
    "ul": "margin:0 0 12px;padding-left:24px",
    "ol": "margin:0 0 12px;padding-left:24px",
    "li": "margin:0 0 4px",
    "h1": "font-size:17px;line-height:1.3;margin:20px 0 8px",
    "h2": "font-size:17px;line-height:1.3;margin:20px 0 8px",
    "h3": "font-size:15px;line-height:1.3;margin:16px 0 8px",
    "h4": "font-size:15px;line-height:1.3;margin:16px 0 8px",
    "h5": "font-size:15px;line-height:1.3;margin:16px 0 8px",
    "h6": "font-size:15px;line-height:1.3;margin:16px 0 8px",
    "blockquote": f"margin:0 0 12px;padding:0 0 0 12px;border-left:3px solid {LIGHT['line']}",
    "pre": f"margin:0 0 12px;padding:8px;background:{LIGHT['card']};border-radius:6px;"
    "overflow-x:auto;white-space:pre-wrap",
    "code": f"font-family:ui-monospace,Menlo,Consolas,monospace;font-size:14px;"
    f"background:{LIGHT['card']}",
    "a": f"color:{LIGHT['link']}",
    "table": "border-collapse:collapse;margin:0 0 12px",
    "th": f"border:1px solid {LIGHT['line']};padding:4px 8px;text-align:left",
    "td": f"border:1px solid {LIGHT['line']};padding:4px 8px",
    "hr": f"border:0;border-top:1px solid {LIGHT['line']};margin:16px 0",
}
_MD_CLASSES = {
    "a": "e-link",
    "blockquote": "e-line",
    "pre": "e-code",
    "code": "e-code",
    "th": "e-line",
    "td": "e-line",
    "hr": "e-line",
}
_TAG = re.compile(r"<(" + "|".join(_MD_STYLES) + r")((?:\s[^>]*)?)>")
_ALIGN = re.compile(r'\sclass="md-(left|center|right)"')


def inline_markdown(html: str) -> Markup:
    """Sanitised Markdown HTML (incidents.markdown) with the email's inline styles.

    The input is the sanitiser's output: only allow-listed tags, no `style` attribute and no
    class but the table cells' alignment, which becomes a text-align here."""

    def styled(match: re.Match[str]) -> str:
        tag, attrs = match.group(1), match.group(2)
        style = _MD_STYLES[tag]
        align = _ALIGN.search(attrs)
        if align:
            attrs = _ALIGN.sub("", attrs)
            style += f";text-align:{align.group(1)}"
        css_class = f' class="{_MD_CLASSES[tag]}"' if tag in _MD_CLASSES else ""
        return f'<{tag}{attrs}{css_class} style="{style}">'

    return Markup(_TAG.sub(styled, html))  # noqa: S704 - sanitised input, constant styles
