"""The Jinja2 Environment factory: globals and filters only, never database access."""

from django.contrib.messages import get_messages
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from statuspage.brand import brand_assets
from statuspage.markdown import render_markdown, render_plain
from statuspage.public import templating


def environment(**options) -> Environment:
    # Escape HTML-ish templates only: .txt bodies (email text, SMS) must not get "&amp;".
    options["autoescape"] = select_autoescape(
        enabled_extensions=("html", "htm", "xml", "svg"), default_for_string=True
    )
    env = Environment(**options)  # noqa: S701 - autoescape is set just above
    env.globals.update(static=static, url=reverse, get_messages=get_messages)
    env.filters["localtime"] = _localtime
    env.filters["when"] = _when
    env.globals["current_time_zone"] = timezone.get_current_timezone_name
    env.globals.update(brand_assets=brand_assets)
    env.filters.update(
        markdown=render_markdown,
        pagetime=templating.pagetime,
        pagedate=templating.pagedate,
        duration=templating.duration,
        elapsed=templating.elapsed,
        plaintext=render_plain,
        safe_url=templating.safe_url,
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
