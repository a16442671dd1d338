"""The Jinja2 Environment factory: globals and filters only, never database access."""

from django.contrib.messages import get_messages
from django.templatetags.static import static
from django.utils import timezone, translation
from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from incidents.selectors import scope
from statuspage import page_routing
from statuspage.brand import brand_assets
from statuspage.markdown import render_markdown, render_plain
from statuspage.public import language, templating, translations, words


def environment(**options) -> Environment:
    # Escape HTML-ish templates only: .txt bodies (email text, SMS) must not get "&amp;".
    options["autoescape"] = select_autoescape(
        enabled_extensions=("html", "htm", "xml", "svg"), default_for_string=True
    )
    # Translations: {% trans %} blocks and _() / ngettext() calls go through Django's catalogs
    # (locale/, the request's active language). New-style gettext escapes and fills
    # %(name)s itself, so a translation cannot drop or misspell a placeholder silently.
    options["extensions"] = [*options.get("extensions", ()), "jinja2.ext.i18n"]
    env = Environment(**options)  # noqa: S701 - autoescape is set just above
    env.policies["ext.i18n.trimmed"] = True  # msgids without the templates' line breaks
    # install_gettext_callables is added by the extension.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext, translation.ngettext, newstyle=True
    )
    # `url` keeps the reader's language on links between the translated public pages.
    env.globals.update(static=static, url=language.url, get_messages=get_messages)
    # Absolute links: the page's URL, or under a page prefix the reader's origin.
    env.globals.update(link_base=page_routing.link_base)
    env.globals.update(
        html_lang=language.html_lang,
        language_code=language.code,
        html_dir=language.html_dir,
        language_links=language.alternates,
        weekday_names=templating.weekday_names,
        js_words=templating.js_words,
    )
    env.filters["localtime"] = _localtime
    env.filters["when"] = _when
    env.globals["current_time_zone"] = timezone.get_current_timezone_name
    env.globals.update(brand_assets=brand_assets)
    # Whether this render is an audience's (its live refresh then sends the reader's cookie).
    env.globals["reader_scoped"] = lambda: scope.current() is not None
    env.filters.update(
        markdown=render_markdown,
        pagetime=templating.pagetime,
        pagedate=templating.pagedate,
        duration=templating.duration,
        elapsed=templating.elapsed,
        plaintext=render_plain,
        safe_url=templating.safe_url,
        translated=words.translated,
        impact=words.impact,
        impact_phrase=words.impact_phrase,
        month=templating.format_month,
        # Operator-written translations: `incident|tname`, `update|tbody(page)`.
        tname=translations.name,
        tbody=translations.body,
    )
    return env


def _when(value, fmt: str = "%Y-%m-%d %H:%M %Z") -> Markup:
    """A <time> in the active (page) time zone that the dashboard's script may restate in the
    reader's own zone; without the script the page zone's text stands, named by %Z."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{}" data-local>{}</time>').format(
        value.isoformat(timespec="seconds"), _localtime(value, fmt)
    )


def _localtime(value, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """An aware datetime in the active time zone, formatted; "" for None."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime(fmt)
