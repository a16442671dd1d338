"""Markdown for operator-written text (update bodies, postmortems): render, then sanitise; or
render as readable plain text (the text part of an email, which people read as it is); or
rebuild it as Markdown to quote inside another Markdown document (the public /index.md).

Rendering with raw HTML disabled is not enough on its own: the allow-list sanitiser (nh3) is
the guarantee, so a parser bug or a future option change cannot let markup through.
"""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
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


def _demote_headings(tokens: list[Token], top: int) -> None:
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
    env: dict[str, object] = {}
    tokens = parser.parse(text, env)
    _demote_headings(tokens, min(6, headings_from))
    html = parser.renderer.render(tokens, parser.options, env)
    return Markup(sanitize(html))  # noqa: S704 - sanitised just above


def render_plain(text: str | None) -> str:
    """Markdown -> text without markup, for iCal descriptions and other plain contexts."""
    # The result is text, not HTML: entities are decoded (an iCal client shows "&" not "&amp;").
    return html.unescape(nh3.clean(_parser().render(text or ""), tags=set())).strip()


def render_text(text: str | None) -> str:
    """Markdown -> text a person reads as it is: no `**` or `##`, headings underlined, list
    items one per line (`- ` or `1. `, nested ones indented), links as "text (URL)", quotes
    prefixed with `> `, code indented. Links with a scheme the HTML would drop show their text
    only."""
    if not text:
        return ""
    blocks = _blocks(SyntaxTreeNode(_parser().parse(text)).children)
    return "\n\n".join(b for b in blocks if b).strip("\n")


def _blocks(nodes: list[SyntaxTreeNode]) -> list[str]:
    return [_block(node) for node in nodes]


def _block(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "paragraph":
        return _inline(node.children[0]) if node.children else ""
    if kind == "heading":
        title = _inline(node.children[0]) if node.children else ""
        return f"{title}\n{('=' if node.tag in ('h1', 'h2') else '-') * len(title)}"
    if kind in ("bullet_list", "ordered_list"):
        return _list(node)
    if kind == "blockquote":
        inner = "\n\n".join(_blocks(node.children))
        return "\n".join(f"> {line}".rstrip() for line in inner.splitlines())
    if kind in ("fence", "code_block"):
        return "\n".join(f"    {line}".rstrip() for line in node.content.rstrip("\n").split("\n"))
    if kind == "hr":
        return "-" * 20
    if kind == "table":
        rows = [tr for section in node.children for tr in section.children]
        return "\n".join(
            " | ".join(_inline(cell.children[0]) if cell.children else "" for cell in row.children)
            for row in rows
        )
    return node.content  # anything else (none in CommonMark + tables) as its source


def _list(node: SyntaxTreeNode) -> str:
    start = int(str(node.attrs.get("start", 1))) if node.type == "ordered_list" else 0
    # A tight list's paragraphs are hidden (no <p> in HTML): its items take one line each; a
    # loose list keeps a blank line between items, as the HTML keeps their paragraphs apart.
    tight = all(p.hidden for item in node.children for p in item.children if p.type == "paragraph")
    gap = "\n" if tight else "\n\n"
    items = []
    for number, item in enumerate(node.children, start=start):
        marker = f"{number}. " if node.type == "ordered_list" else "- "
        first, *rest = gap.join(_blocks(item.children)).split("\n")
        lines = [marker + first, *((" " * len(marker) + line).rstrip() for line in rest)]
        items.append("\n".join(lines))
    return gap.join(items)


def _inline(node: SyntaxTreeNode) -> str:
    return "".join(_span(child) for child in node.children)


def _span(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind in ("text", "code_inline", "html_inline"):
        return node.content
    if kind == "softbreak" or kind == "hardbreak":
        return "\n"
    if kind == "link":
        label = _inline(node)
        href = str(node.attrs.get("href", ""))
        scheme = href.partition(":")[0].lower() if ":" in href else ""
        if scheme not in URL_SCHEMES:
            return label  # a relative or refused link: nothing a reader could follow
        shown = href.removeprefix("mailto:") if scheme == "mailto" else href
        return shown if label in (href, shown) else f"{label} ({shown})"
    if kind == "image":
        return _inline(node)  # the alt text, as the HTML shows nothing
    return _inline(node)  # em, strong, s: the words without their markers


# --- Markdown out: operator text inside a Markdown document (the public /index.md) -------------

# Characters that are markup wherever they stand. `#` and `>` only mean something at a line's
# start, or `#` at a heading's end; escaped everywhere, text can be moved around freely.
_MARKUP_CHARS = re.compile(r"([\\`*_\[\]<>#~|])")
# An entity reference ("&amp;", "&#42;") would be decoded: the `&` that starts one is escaped.
_ENTITY_START = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# What makes a line a list item, a setext underline or a thematic break by how it starts.
_LINE_START = re.compile(r"^([-+=])|^(\d{1,9})([.)])")


def _escape_text(text: str) -> str:
    return _ENTITY_START.sub(r"\\&", _MARKUP_CHARS.sub(r"\\\1", text))


def _escape_line_starts(text: str) -> str:
    return "\n".join(
        _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", line.lstrip())
        for line in text.split("\n")
    )


def escape_markdown(text: str | None) -> str:
    """`text` as one line of literal Markdown text: whitespace runs (line breaks included)
    become one space, and whatever a Markdown reader could take for markup (emphasis, links,
    code, HTML, headings, list markers, entities) is backslash-escaped. For names and other
    one-line values an operator types."""
    return _escape_line_starts(_escape_text(" ".join((text or "").split())))


def render_markdown_source(text: str | None, headings_from: int = 1) -> str:
    """Markdown -> Markdown that says what the HTML page shows, and nothing more, for quoting
    inside another Markdown document: rebuilt from the parse tree, so raw HTML and images come
    out as the text the page shows, links keep only the schemes the page keeps, code fences
    are closed, and headings start at `headings_from` (as render_markdown demotes them)."""
    if not text:
        return ""
    tokens = _parser().parse(text)
    _demote_headings(tokens, min(6, max(1, headings_from)))
    return "\n\n".join(b for b in _md_blocks(SyntaxTreeNode(tokens).children) if b)


def _md_blocks(nodes: list[SyntaxTreeNode]) -> list[str]:
    return [_md_block(node) for node in nodes]


def _md_block(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "paragraph":
        return _escape_line_starts(_md_inline(node.children[0])) if node.children else ""
    if kind == "heading":
        title = " ".join(_md_inline(node.children[0]).split()) if node.children else ""
        return f"{'#' * int(node.tag[1])} {title}".rstrip()
    if kind in ("bullet_list", "ordered_list"):
        return _md_list(node)
    if kind == "blockquote":
        inner = "\n\n".join(b for b in _md_blocks(node.children) if b)
        return "\n".join(f"> {line}".rstrip() for line in inner.split("\n"))
    if kind in ("fence", "code_block"):
        return _md_code(node.content, node.info if kind == "fence" else "")
    if kind == "hr":
        return "---"
    if kind == "table":
        return _md_table(node)
    return _escape_text(node.content)  # nothing else in CommonMark + tables: as literal text


def _md_code(content: str, info: str) -> str:
    # A fence longer than any run of backticks inside, so the content cannot close it.
    runs = [len(run) for run in re.findall(r"`+", content)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    language = re.sub(r"[^\w+#.-]", "", info.split(maxsplit=1)[0]) if info.strip() else ""
    return f"{fence}{language}\n{content.rstrip(chr(10))}\n{fence}"


def _md_list(node: SyntaxTreeNode) -> str:
    start = int(str(node.attrs.get("start", 1))) if node.type == "ordered_list" else 0
    tight = all(p.hidden for item in node.children for p in item.children if p.type == "paragraph")
    gap = "\n" if tight else "\n\n"
    items = []
    for number, item in enumerate(node.children, start=start):
        marker = f"{number}. " if node.type == "ordered_list" else "- "
        body = gap.join(b for b in _md_blocks(item.children) if b)
        first, *rest = body.split("\n") if body else [""]
        lines = [marker + first, *((" " * len(marker) + line).rstrip() for line in rest)]
        items.append("\n".join(lines).rstrip())
    return gap.join(items)


def _md_table(node: SyntaxTreeNode) -> str:
    # A table always has its header row (that is what makes it a table).
    rows = [tr for section in node.children for tr in section.children]

    def cells(row: SyntaxTreeNode) -> str:
        return (
            "| "
            + " | ".join(
                " ".join(_md_inline(cell.children[0]).split()) if cell.children else ""
                for cell in row.children
            )
            + " |"
        )

    aligns = {"md-left": ":---", "md-center": ":---:", "md-right": "---:"}
    rule = (
        "| "
        + " | ".join(
            aligns.get(str(cell.attrs.get("class", "")), "---") for cell in rows[0].children
        )
        + " |"
    )
    return "\n".join([cells(rows[0]), rule, *(cells(row) for row in rows[1:])])


def _md_inline(node: SyntaxTreeNode) -> str:
    return "".join(_md_span(child) for child in node.children)


def _md_span(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "text":
        return _escape_text(node.content)
    if kind == "code_inline":
        return _md_code_span(node.content)
    if kind == "softbreak":
        return "\n"
    if kind == "hardbreak":
        return "\\\n"
    if kind in ("em", "strong", "s"):
        mark = {"em": "*", "strong": "**", "s": "~~"}[kind]
        return f"{mark}{_md_inline(node)}{mark}"
    if kind == "link":
        label = _md_inline(node)
        href = str(node.attrs.get("href", ""))
        scheme = urlsplit(href).scheme.lower()
        if scheme and scheme not in URL_SCHEMES:
            return label  # a refused scheme: the page shows the text without a link too
        # Relative links stay, as on the page: /index.md sits beside `/`, so they lead to
        # the same place.
        return f"[{label}](<{_encode_destination(href)}>)"
    return _md_inline(node)  # an image: its alt text, as the page shows no image


def _md_code_span(content: str) -> str:
    runs = [len(run) for run in re.findall(r"`+", content)]
    ticks = "`" * (max(runs, default=0) + 1)
    padded = f" {content} " if content[:1] in ("`", " ") or content[-1:] in ("`", " ") else content
    return f"{ticks}{padded}{ticks}"


def _encode_destination(href: str) -> str:
    # Inside <...> a destination may hold anything but line breaks and unescaped < or >.
    return re.sub(r"[<>\s]", lambda m: f"%{ord(m[0]):02X}", href)
