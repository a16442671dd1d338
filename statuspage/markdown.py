"""Markdown for the web surfaces: the one renderer and sanitiser lives in incidents.markdown,
so notifications (which may not import the project package) render the same HTML.

`render_markdown` here is the same function, marked as a shared pure call: inside a publish
(incidents/selectors/shared.py) a post's HTML is made once and handed to the copy of every
language and every document that shows it (its permalink, the front page, history, the
feeds), rather than parsed and sanitised again for each; everywhere else it runs every time."""

from markupsafe import Markup

from incidents import markdown
from incidents.markdown import (
    escape_markdown,
    render_markdown_source,
    render_plain,
    render_text,
    sanitize,
)
from incidents.selectors.shared import shared


@shared
def render_markdown(text: str | None, headings_from: int = 1) -> Markup:
    """incidents.markdown.render_markdown, once per text within a publish."""
    return markdown.render_markdown(text, headings_from)


__all__ = [
    "escape_markdown",
    "render_markdown",
    "render_markdown_source",
    "render_plain",
    "render_text",
    "sanitize",
]
