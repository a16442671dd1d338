"""Markdown for previews on the dashboard, sanitised with an allow-list after rendering.

The public page engineer owns the real Markdown pipeline; until `markdown` and `nh3` are
installed this falls back to escaped plain text, and says so, rather than inventing a renderer.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

try:  # pragma: no cover - depends on what is installed
    import markdown as _markdown
    import nh3 as _nh3
except ImportError:  # pragma: no cover
    _markdown = _nh3 = None

RENDERS_MARKDOWN = _markdown is not None


def render(text: str) -> SafeString:
    if RENDERS_MARKDOWN:
        html = _markdown.markdown(text or "", extensions=["sane_lists"])
        return mark_safe(_nh3.clean(html))  # noqa: S308 - sanitised by nh3's allow-list
    note = '<p class="muted">Markdown rendering is not installed here: plain text shown.</p>'
    return mark_safe(f'{note}<pre class="plain">{escape(text or "")}</pre>')  # noqa: S308 - escaped
