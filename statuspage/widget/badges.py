"""shields.io-compatible "flat" badges, drawn here so a badge costs no call to shields.io.

The geometry follows shields' flat style: 20px high, 5px padding each side of each text,
Verdana 11px, text drawn at 10x scale with textLength so every renderer fits it exactly.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

# shields.io's named colours, which its endpoint badge (`/badge.json`) also accepts by name.
COLORS = {
    "brightgreen": "#4c1",
    "yellow": "#dfb317",
    "orange": "#fe7d37",
    "red": "#e05d44",
    "blue": "#007ec6",
    "lightgrey": "#9f9f9f",
}
INDICATOR_COLORS = {
    "none": "brightgreen",
    "minor": "yellow",
    "major": "orange",
    "critical": "red",
    "maintenance": "blue",
}
COMPONENT_COLORS = {
    "operational": "brightgreen",
    "degraded_performance": "yellow",
    "partial_outage": "orange",
    "major_outage": "red",
    "under_maintenance": "blue",
}

# Advance widths of Verdana at 11px (px), the font shields measures with; others count as 7.
_WIDTHS = {
    **dict.fromkeys("0123456789", 6.98),
    " ": 3.87, "a": 6.68, "b": 6.97, "c": 5.8, "d": 6.97, "e": 6.59, "f": 3.87, "g": 6.97,
    "h": 7.06, "i": 3.02, "j": 3.79, "k": 6.59, "l": 3.02, "m": 10.85, "n": 7.06, "o": 6.68,
    "p": 6.97, "q": 6.97, "r": 4.69, "s": 5.72, "t": 4.33, "u": 7.06, "v": 6.59, "w": 8.99,
    "x": 6.59, "y": 6.59, "z": 5.62, "A": 7.52, "B": 7.54, "C": 7.68, "D": 8.48, "E": 6.96,
    "F": 6.32, "G": 8.53, "H": 8.27, "I": 4.63, "J": 5.0, "K": 7.62, "L": 6.12, "M": 9.27,
    "N": 8.23, "O": 8.66, "P": 6.63, "Q": 8.66, "R": 7.65, "S": 7.52, "T": 6.78, "U": 8.05,
    "V": 7.52, "W": 10.87, "X": 7.54, "Y": 6.77, "Z": 7.54, ".": 3.99, ",": 3.99, ":": 4.7,
    "-": 4.99, "_": 6.98, "(": 4.9, ")": 4.9, "/": 4.99, "'": 2.69, "&": 7.76,
}  # fmt: skip


def text_width(text: str) -> float:
    return sum(_WIDTHS.get(ch, 7.0) for ch in text)


def flat_badge(label: str, message: str, color: str) -> str:
    """An SVG badge; `color` is a shields colour name (see COLORS)."""
    fill = COLORS[color]
    label_text, message_text = round(text_width(label) * 10), round(text_width(message) * 10)
    label_w, message_w = label_text // 10 + 10, message_text // 10 + 10
    width = label_w + message_w
    aria = quoteattr(f"{label}: {message}")
    title = escape(f"{label}: {message}")
    label_x, message_x = label_w * 5, label_w * 10 + message_w * 5
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f"aria-label={aria}><title>{title}</title>"
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{label_w}" height="20" fill="#555"/>'
        f'<rect x="{label_w}" width="{message_w}" height="20" fill="{fill}"/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'text-rendering="geometricPrecision" font-size="110">'
        f'<text aria-hidden="true" x="{label_x}" y="150" fill="#010101" fill-opacity=".3" '
        f'transform="scale(.1)" textLength="{label_text}">{escape(label)}</text>'
        f'<text x="{label_x}" y="140" transform="scale(.1)" fill="#fff" '
        f'textLength="{label_text}">{escape(label)}</text>'
        f'<text aria-hidden="true" x="{message_x}" y="150" fill="#010101" fill-opacity=".3" '
        f'transform="scale(.1)" textLength="{message_text}">{escape(message)}</text>'
        f'<text x="{message_x}" y="140" transform="scale(.1)" fill="#fff" '
        f'textLength="{message_text}">{escape(message)}</text></g></svg>'
    )
