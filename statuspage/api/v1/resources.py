"""The request fields of each resource, as Atlassian's API description names them.

A body's fields fall into four kinds, and nothing else is accepted:

- fields this API acts on;
- older names that Statuspage's API and its older clients still send (`incident[message]` for
  the body): renamed to the current field, never dropped;
- fields accepted and ignored, because acting on them is not possible here and ignoring them
  loses nothing the operator wrote (Twitter posting, which Statuspage itself no longer offers);
- fields honoured with one value only, because that value is what this app always does
  (automatic maintenance transitions always notify): any other value is a 422 naming the field.

Any other field is a 422 that names it: an operator's words never vanish into a default.
docs/api.md lists the ignored and one-value fields with these reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from statuspage.api.v1 import fields as f
from statuspage.api.v1.http import ApiError, ApiRequest
from statuspage.monitors.custom_metrics import METRIC_FIELDS
from statuspage.monitors.validation import FIELDS as MONITOR_FIELDS

_TWITTER = "Twitter posting is not offered (Statuspage no longer offers it either)."


@dataclass(frozen=True)
class OneValue:
    """A documented field honoured only with `value` (None: only when empty or null)."""

    value: bool | None
    reason: str


@dataclass(frozen=True)
class Resource:
    name: str  # the wrapper ("incident"); "" for a body whose fields are not wrapped
    fields: frozenset[str]
    # older name -> the current field(s) it sets
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # field -> (its type, "boolean" or "object"; why it is accepted and ignored)
    ignored: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    one_value: Mapping[str, OneValue] = field(default_factory=dict)
    # fields Atlassian's description puts beside the wrapper rather than in it
    siblings: frozenset[str] = frozenset()

    def documented(self) -> frozenset[str]:
        """Every field name a body may hold (docs and tests read this)."""
        return self.fields | set(self.aliases) | set(self.ignored) | set(self.one_value)


INCIDENT = Resource(
    name="incident",
    fields=frozenset(
        {
            "name",
            "status",
            "impact_override",
            "body",
            # Our extension (not in Atlassian's description): {"de": {"name", "body"}}.
            "translations",
            "components",
            "component_ids",
            "deliver_notifications",
            "backfilled",
            "backfill_date",
            "scheduled_for",
            "scheduled_until",
            "scheduled_remind_prior",
            "scheduled_auto_in_progress",
            "scheduled_auto_completed",
        }
    ),
    aliases={
        "message": ("body",),
        # Statuspage's older switch for both automatic transitions of a maintenance window.
        "scheduled_auto_transition": ("scheduled_auto_in_progress", "scheduled_auto_completed"),
    },
    ignored={
        "metadata": ("object", "Not stored; answered as {}."),
        "wants_twitter_update": ("boolean", _TWITTER),
        "auto_tweet_at_beginning": ("boolean", _TWITTER),
        "auto_tweet_on_completion": ("boolean", _TWITTER),
        "auto_tweet_on_creation": ("boolean", _TWITTER),
        "auto_tweet_one_hour_before": ("boolean", _TWITTER),
    },
    one_value={
        "auto_transition_to_maintenance_state": OneValue(
            True, "A running maintenance always shows its components under maintenance."
        ),
        "auto_transition_to_operational_state": OneValue(
            True, "Ending a maintenance always returns its components to their own status."
        ),
        "auto_transition_deliver_notifications_at_start": OneValue(
            True, "An automatic start always notifies subscribers."
        ),
        "auto_transition_deliver_notifications_at_end": OneValue(
            True, "An automatic completion always notifies subscribers."
        ),
    },
)

INCIDENT_UPDATE = Resource(
    name="incident_update",
    fields=frozenset({"body", "display_at", "deliver_notifications", "translations"}),
    ignored={"wants_twitter_update": ("boolean", _TWITTER)},
)

COMPONENT = Resource(
    name="component",
    fields=frozenset(
        {
            "name",
            "description",
            "status",
            "group_id",
            "showcase",
            "only_show_if_degraded",
            "start_date",
            "deliver_notifications",
        }
    ),
)

COMPONENT_GROUP = Resource(
    name="component_group",
    fields=frozenset({"name", "description", "components"}),
    siblings=frozenset({"description"}),
)

SUBSCRIBER = Resource(
    name="subscriber",
    fields=frozenset(
        {
            "email",
            "phone_number",
            "phone_country",
            "endpoint",
            "type",
            "component_ids",
            "skip_confirmation_notification",
            # Our extension: the audience of an audience-specific page it is placed in.
            "audience_id",
        }
    ),
    one_value={
        "page_access_user": OneValue(
            None, "Page access users (audience-specific pages) are not offered."
        )
    },
)

# Statuspage's "update a subscriber" sends its one field unwrapped.
SUBSCRIBER_SCOPE = Resource(name="", fields=frozenset({"component_ids", "audience_id"}))

TEMPLATE = Resource(
    name="template",
    fields=frozenset({"name", "title", "body", "group_id", "update_status", "component_ids"}),
    ignored={"should_tweet": ("boolean", _TWITTER)},
    one_value={
        "should_send_notifications": OneValue(
            True, "A template does not decide notifications; each update does."
        )
    },
)

# Our extension (built-in monitors): every field the monitors app takes, by its own names.
MONITOR = Resource(name="monitor", fields=MONITOR_FIELDS)

# Statuspage's metric, plus component_id (our extension: the component it is shown under).
METRIC = Resource(
    name="metric",
    fields=frozenset(METRIC_FIELDS),
    ignored={
        "transform": ("string", "Charts show each bucket's mean, minimum and maximum."),
        "application_id": ("string", "Only pushed data is charted (no pull providers)."),
    },
)
# Only type Self is taken; the pull providers' credentials are refused with a 501 by type.
METRICS_PROVIDER = Resource(
    name="metrics_provider",
    fields=frozenset({"type"}),
    ignored={
        name: ("string", "Pull providers are not implemented.")
        for name in ("email", "password", "api_key", "api_token", "application_key")
    }
    | {"metric_base_uri": ("string", "Pull providers are not implemented.")},
)

# Our extension: an audience of an audience-specific page (docs/pages.md, "Audiences").
AUDIENCE = Resource(
    name="audience",
    fields=frozenset(
        {
            "name",
            "slug",
            "position",
            "component_ids",
            "emails",
            "domains",
            "claim_name",
            "claim_value",
            "members",
        }
    ),
)

PAGE = Resource(
    name="page",
    fields=frozenset({"name", "url", "time_zone", "hosts", "visibility"}),
    one_value={
        "allow_email_subscribers": OneValue(
            True, "every page offers email subscriptions (there is no setting to turn it off)."
        )
    },
)

ALL = (
    INCIDENT,
    INCIDENT_UPDATE,
    COMPONENT,
    COMPONENT_GROUP,
    SUBSCRIBER,
    SUBSCRIBER_SCOPE,
    TEMPLATE,
    MONITOR,
    METRIC,
    METRICS_PROVIDER,
    AUDIENCE,
    PAGE,
)


def read(request: ApiRequest, resource: Resource, *, required: bool = True) -> dict[str, Any]:
    """The fields of `resource` in the request's body, older names renamed to current ones,
    ignored fields checked and removed; a 422 naming any field that is none of these."""
    data = request.api_body
    if not resource.name:
        return _fields_of(resource, dict(data), [])
    unknown_outside = sorted(k for k in data if k != resource.name and k not in resource.siblings)
    if resource.name not in data:
        if required:
            raise ApiError(
                400, f'Wrap the fields in {resource.name!r}, e.g. {{"{resource.name}": {{...}}}}.'
            )
        _unknown(resource, unknown_outside)
        return {}
    inner = data[resource.name]
    if not isinstance(inner, dict):
        raise ApiError(400, f"{resource.name!r} must be an object.")
    inner = dict(inner)
    for name in resource.siblings:
        if name in data:
            inner.setdefault(name, data[name])
    return _fields_of(resource, inner, unknown_outside)


def _fields_of(resource: Resource, inner: dict[str, Any], unknown_outside: list[str]) -> dict:
    _unknown(resource, unknown_outside + [k for k in inner if k not in resource.documented()])
    _rename(resource, inner)
    for name, (kind, _reason) in resource.ignored.items():
        if name in inner:
            _check_kind(inner, name, kind)
            del inner[name]
    for name, rule in resource.one_value.items():
        if name in inner:
            _check_one_value(inner, name, rule)
            del inner[name]
    return inner


def _unknown(resource: Resource, names: list[str]) -> None:
    if names:
        shown = ", ".join(f"{resource.name}[{n}]" if resource.name else n for n in names[:10])
        raise ApiError(
            422,
            f"Unknown field{'s' if len(names) > 1 else ''}: {shown}.",
            errors={n: ["Unknown field."] for n in names[:50]},
        )


def _rename(resource: Resource, inner: dict[str, Any]) -> None:
    for old, targets in resource.aliases.items():
        if old not in inner:
            continue
        value = inner.pop(old)
        for target in targets:
            if target in inner and inner[target] != value:
                raise ApiError.field(
                    old, f"{old} is another name for {target}; send one of them, not both."
                )
            inner[target] = value


def _check_kind(inner: dict[str, Any], name: str, kind: str) -> None:
    if kind == "boolean":
        f.boolean(inner, name)
    elif kind == "string":
        if inner[name] is not None and not isinstance(inner[name], str):
            raise ApiError.field(name, f"{name} must be a string.")
    else:
        f.mapping(inner, name, None)


def _check_one_value(inner: dict[str, Any], name: str, rule: OneValue) -> None:
    if rule.value is None:
        if inner[name] not in (None, "", False):
            raise ApiError.field(name, f"{name} is not supported: {rule.reason}")
        return
    if f.boolean(inner, name) is not rule.value:
        raise ApiError.field(
            name, f"{name} can only be {str(rule.value).lower()} here: {rule.reason}"
        )
