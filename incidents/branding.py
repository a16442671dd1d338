"""The page's branding rules: uploaded images (logo, favicon), colours, footer links.

Images are checked by decoding them, never by their name or declared type: a renamed text file,
a truncated PNG or a decompression bomb is refused. SVG is refused outright: it can carry
script and external references, and no sanitiser is trusted here to strip them all.

Accepted files are kept under DATA_DIR/branding/ named by their content hash, so a stored file
never changes: the public site may cache it forever, and a failed save leaves the old file (and
the page's reference to it) untouched."""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# The per-status colours an operator sets in the dashboard (Page.status_colors keeps others too).
STATUS_COLOR_KEYS = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
# The public page's backgrounds (statuspage/static/public/status.css, --bg light and dark).
BACKGROUND_LIGHT = "#ffffff"
BACKGROUND_DARK = "#0d1117"
# Accent and status colours carry white text (buttons, banners, pills) and are text on the light
# background: WCAG AA for text, 4.5:1. On the dark background they are filled shapes that must
# stand out from it (dark mode's text uses lighter tones of its own): the built-in palette is at
# 2.8 to 3.7:1 there, so below 2.5:1 a colour is warned about as fading into the background.
MIN_CONTRAST_LIGHT = 4.5
MIN_CONTRAST_DARK = 2.5

MAX_FOOTER_LINKS = 8
MAX_LINK_LABEL = 60
MAX_LINK_URL = 500
MAX_CUSTOM_CSS = 20_000

# Pillow format name -> (file extension, Content-Type).
FORMATS = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "WEBP": ("webp", "image/webp"),
    "ICO": ("ico", "image/x-icon"),
}
CONTENT_TYPES = {ext: content_type for ext, content_type in FORMATS.values()}
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpg|webp|ico)$")


@dataclass(frozen=True)
class ImageRules:
    label: str
    formats: tuple[str, ...]
    max_bytes: int
    max_side: int  # pixels, each of width and height


LOGO = ImageRules("logo", ("PNG", "JPEG", "WEBP"), max_bytes=300 * 1024, max_side=2000)
FAVICON = ImageRules("favicon", ("PNG", "ICO"), max_bytes=100 * 1024, max_side=512)


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    ext: str
    content_type: str
    width: int
    height: int

    @property
    def name(self) -> str:
        return f"{hashlib.sha256(self.data).hexdigest()[:32]}.{self.ext}"


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head


def check_image(data: bytes, rules: ImageRules) -> CheckedImage:
    """The image if it is one of the accepted formats within the limits; else ValidationError
    with a sentence for the operator."""
    kinds = ", ".join(rules.formats)
    if len(data) > rules.max_bytes:
        raise ValidationError(
            f"The {rules.label} is {len(data) // 1024} KB; the limit is "
            f"{rules.max_bytes // 1024} KB."
        )
    if _looks_like_svg(data):
        raise ValidationError(
            f"SVG is not accepted for the {rules.label}: it can carry scripts. "
            f"Upload a {kinds} file."
        )
    try:
        with warnings.catch_warnings():
            # A decompression bomb warning becomes an error: refuse, never decode it.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt, (width, height) = probe.format, probe.size
                if fmt not in rules.formats:
                    raise ValidationError(
                        f"The {rules.label} must be a {kinds} image"
                        f"{f' (this file is {fmt})' if fmt else ''}."
                    )
                if width > rules.max_side or height > rules.max_side:
                    raise ValidationError(
                        f"The {rules.label} is {width}×{height} pixels; the limit is "
                        f"{rules.max_side}×{rules.max_side}."
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # verify() skips pixel data: decode it all once
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's bomb check runs on the header's claimed size, before ours: a huge claim is
        # a real giant image or a file that only starts like one (a renamed text file).
        raise ValidationError(
            f"This file is not a {kinds} image within {rules.max_side}×{rules.max_side} "
            "pixels (its content was checked, not its name)."
        ) from None
    except UnidentifiedImageError:
        raise ValidationError(
            f"This file is not a {kinds} image (its content was checked, not its name)."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):  # truncated or corrupt data
        raise ValidationError(f"The {rules.label} image is damaged or incomplete.") from None
    ext, content_type = FORMATS[fmt]
    return CheckedImage(data, ext, content_type, width, height)


def branding_dir() -> Path:
    return Path(settings.DATA_DIR) / "branding"


def store_image(image: CheckedImage) -> str:
    """Write the image under its content name (atomic rename); returns the name."""
    folder = branding_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / image.name
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(image.data)
        os.replace(tmp, path)
    return image.name


def stored_image_path(name: str) -> Path | None:
    """The file of a stored image name, or None for any other name or a missing file."""
    if not STORED_NAME.match(name or ""):
        return None
    path = branding_dir() / name
    return path if path.is_file() else None


def validate_hex_color(value: str) -> None:
    if value and not HEX_COLOR.match(value):
        raise ValidationError(f"“{value}” is not a colour like #0b5cad.")


def _luminance(hex_color: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def contrast_warnings(label: str, color: str) -> list[str]:
    """Sentences for a colour too close to the page's light or dark background (or to white
    text on it); empty when it reads well in both."""
    if not color or not HEX_COLOR.match(color):
        return []
    out = []
    light = contrast_ratio(color, BACKGROUND_LIGHT)
    if light < MIN_CONTRAST_LIGHT:
        out.append(
            f"{label} {color}: contrast {light:.1f}:1 against the light background and white "
            f"text (at least {MIN_CONTRAST_LIGHT}:1 reads well)."
        )
    dark = contrast_ratio(color, BACKGROUND_DARK)
    if dark < MIN_CONTRAST_DARK:
        out.append(
            f"{label} {color}: contrast {dark:.1f}:1 against the dark background "
            f"(at least {MIN_CONTRAST_DARK}:1 reads well)."
        )
    return out


def validate_status_colors(value: object) -> None:
    if not isinstance(value, dict):
        raise ValidationError("Status colours must be a mapping of status to colour.")
    for key, color in value.items():
        if not isinstance(color, str) or not HEX_COLOR.match(color):
            raise ValidationError(f"The colour for {key} is not a colour like #0b5cad.")


def validate_http_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"“{value}” is not a web address (http:// or https://).")


def validate_footer_links(value: object) -> None:
    if not isinstance(value, list):
        raise ValidationError("Footer links must be a list.")
    if len(value) > MAX_FOOTER_LINKS:
        raise ValidationError(f"At most {MAX_FOOTER_LINKS} footer links.")
    for link in value:
        if not isinstance(link, dict) or set(link) != {"label", "url"}:
            raise ValidationError("Each footer link has a label and a URL.")
        label, url = link["label"], link["url"]
        if not isinstance(label, str) or not label.strip() or len(label) > MAX_LINK_LABEL:
            raise ValidationError(
                f"Each footer link needs a label of 1 to {MAX_LINK_LABEL} characters."
            )
        if not isinstance(url, str) or len(url) > MAX_LINK_URL:
            raise ValidationError(f"Footer link URLs are at most {MAX_LINK_URL} characters.")
        validate_http_url(url)
