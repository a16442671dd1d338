"""The domain's fixed English words the public pages show, marked for the catalogs.

The domain (incidents/) names statuses, impacts and the page's headline in English: the JSON
API sends them as they are (a machine format is never translated). The public templates pass
them through the `translated` filter, which looks them up in the active language's catalog;
they are listed here so that `make messages` extracts them."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop, pgettext

WORDS = (
    # The page's headline (incidents/rules.py).
    gettext_noop("All Systems Operational"),
    gettext_noop("Service Under Maintenance"),
    gettext_noop("Major System Outage"),
    gettext_noop("Partial System Outage"),
    gettext_noop("Minor Service Outage"),
    gettext_noop("Degraded System Service"),
    gettext_noop("Partially Degraded Service"),
    # Component statuses (incidents.enums.ComponentStatus).
    gettext_noop("Operational"),
    gettext_noop("Under maintenance"),
    gettext_noop("Degraded performance"),
    gettext_noop("Partial outage"),
    gettext_noop("Major outage"),
    # Incident statuses (IncidentStatus).
    gettext_noop("Investigating"),
    gettext_noop("Identified"),
    gettext_noop("Monitoring"),
    gettext_noop("Resolved"),
    gettext_noop("Postmortem"),
    # Maintenance statuses (MaintenanceStatus).
    gettext_noop("Scheduled"),
    gettext_noop("In progress"),
    gettext_noop("Verifying"),
    gettext_noop("Completed"),
    # The subscribe form's channels (templates/public/_subscribe.html).
    gettext_noop("Email"),
    gettext_noop("Email address"),
    gettext_noop("SMS"),
    gettext_noop("Mobile number"),
    gettext_noop("With the country code, starting with +."),
    gettext_noop("Webhook"),
    gettext_noop("Webhook URL"),
    gettext_noop("We POST Statuspage-style JSON, signed per Standard Webhooks."),
    gettext_noop("Slack incoming webhook URL"),
    gettext_noop("Discord webhook URL"),
    gettext_noop("Microsoft Teams webhook URL"),
)


def translated(english: str) -> str:
    """One of the words above in the active language (unknown text is returned unchanged)."""
    return gettext(english) if english else english


def impact(value: str) -> str:
    """ "Minor", "Gering": an impact on its own, as in "Impact: Minor"."""
    return {
        "none": pgettext("impact", "None"),
        "minor": pgettext("impact", "Minor"),
        "major": pgettext("impact", "Major"),
        "critical": pgettext("impact", "Critical"),
        "maintenance": pgettext("impact", "Maintenance"),
    }.get(value, value)


def impact_phrase(value: str) -> str:
    """ "Minor impact", "Geringe Auswirkungen"."""
    return {
        "none": gettext("No impact"),
        "minor": gettext("Minor impact"),
        "major": gettext("Major impact"),
        "critical": gettext("Critical impact"),
        "maintenance": gettext("Maintenance"),
    }.get(value, value)
