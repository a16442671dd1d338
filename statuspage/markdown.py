"""Markdown for operator-written text (update bodies, postmortems): render, then sanitise.

Rendering with raw HTML disabled is not enough on its own: the allow-list sanitiser (nh3) is
the guarantee, so a parser bug or a future option change cannot let markup through.
"""

from __future__ import annotations

import functools
import html

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "s",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# Column alignment as classes, not style attributes: the pages' CSP refuses inline styles.
ALIGN_CLASSES = {"md-left", "md-center", "md-right"}
ALLOWED_CLASSES = {"th": ALIGN_CLASSES, "td": ALIGN_CLASSES}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"


def _align_as_class(state: StateCore) -> None:
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            style = str(token.attrs.pop("style", ""))
            if style.startswith("text-align:"):
                token.attrSet("class", "md-" + style.removeprefix("text-align:"))


@functools.cache
def _parser() -> MarkdownIt:
    # CommonMark without raw HTML; tables and strikethrough are what operators actually use.
    parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    parser.core.ruler.push("align_as_class", _align_as_class)
    return parser


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        allowed_classes=ALLOWED_CLASSES,
        # Dropped with their content: their text is never meant to be read.
        clean_content_tags={"script", "style"},
        strip_comments=True,
    )


def _demote_headings(tokens: list, top: int) -> None:
    """Shift every heading so the post's shallowest one becomes <h{top}>, keeping the post's
    own outline below it (a postmortem's "##" sits under the page's "Postmortem" heading, not
    above it). Levels past 6 stay at h6. Done on tokens, before sanitising: the sanitiser
    still has the last word on every tag."""
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    if not levels or min(levels) >= top:
        return
    shift = top - min(levels)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + shift)}"


def render_markdown(text: str | None, headings_from: int = 1) -> Markup:
    """Markdown -> safe HTML. Images are not allowed (they would let a post track readers).

    `headings_from` is the first heading level free below where the post is shown (4 under a
    page's <h3>): the post's headings are demoted to start there."""
    if not text:
        return Markup("")
    parser = _parser()
    if headings_from <= 1:
        return Markup(sanitize(parser.render(text)))  # noqa: S704 - sanitised just above
    env: dict = {}
    tokens = parser.parse(text, env)
    _demote_headings(tokens, min(6, headings_from))
    html = parser.renderer.render(tokens, parser.options, env)
    return Markup(sanitize(html))  # noqa: S704 - sanitised just above


def render_plain(text: str | None) -> str:
    """Markdown -> text without markup, for iCal descriptions and other plain contexts."""
    # The result is text, not HTML: entities are decoded (an iCal client shows "&" not "&amp;").
    return html.unescape(nh3.clean(_parser().render(text or ""), tags=set())).strip()
