"""The Jinja2 Environment factory: globals and filters only, never database access."""

from django.templatetags.static import static
from django.urls import reverse
from jinja2 import Environment, select_autoescape


def environment(**options) -> Environment:
    # Escape HTML-ish templates only: .txt bodies (email text, SMS) must not get "&amp;".
    options["autoescape"] = select_autoescape(
        enabled_extensions=("html", "htm", "xml", "svg"), default_for_string=True
    )
    env = Environment(**options)  # noqa: S701 - autoescape is set just above
    env.globals.update(static=static, url=reverse)
    return env
