"""Markdown for the web surfaces: the one renderer and sanitiser lives in incidents.markdown,
so notifications (which may not import the project package) render the same HTML."""

from incidents.markdown import (
    escape_markdown,
    render_markdown,
    render_markdown_source,
    render_plain,
    render_text,
    sanitize,
)

__all__ = [
    "escape_markdown",
    "render_markdown",
    "render_markdown_source",
    "render_plain",
    "render_text",
    "sanitize",
]
