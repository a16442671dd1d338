"""Reading typed fields out of a JSON or form body, with Statuspage-style field errors.

Form bodies carry only strings, so booleans and numbers accept their string spellings too."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents.models import text_problem
from statuspage.api.v1.http import ApiError

ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# "t"/"f": Statuspage's older description documents its booleans that way.
_TRUE = {"true", "t", "1", "yes", "on"}
_FALSE = {"false", "f", "0", "no", "off", ""}
# A time whose "+01:00" reached us as " 01:00": a form value sent without URL-encoding, where
# "+" reads as a space (clients that build `incident[scheduled_for]=...` by hand do this).
_UNENCODED_PLUS = re.compile(r"(\d{4}-\d\d-\d\dT[\d:.,]+) (\d\d:?\d\d)")
MISSING = object()
_Default = TypeVar("_Default")


def text(data: dict, name: str, *, max_length: int | None = None, default=MISSING):
    value = data.get(name, MISSING)
    if value is MISSING:
        return default
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ApiError.field(name, f"{name} must be a string.")
    # The domain's one rule for characters, checked here too so that a text used only for a
    # lookup (never saved) is refused the same way.
    problem = text_problem(value)
    if problem is not None:
        raise ApiError.field(name, f"{name} {problem}.")
    if max_length is not None and len(value.strip()) > max_length:
        raise ApiError.field(name, f"{name} is too long (at most {max_length} characters).")
    return value


def boolean(data: dict, name: str, default=MISSING):
    value = data.get(name, default)
    if value is MISSING or isinstance(value, bool) or value is default:
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ApiError.field(name, f"{name} must be true or false.")


def day(data: dict, name: str, default=MISSING):
    value = data.get(name, default)
    if value is MISSING or value is None or value is default or value == "":
        return None if value == "" else value
    try:
        if not isinstance(value, str):
            raise ValueError
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise ApiError.field(name, f"{name} must be a date (YYYY-MM-DD).") from None
    # Far-off years overflow time zone arithmetic further on.
    if not 1970 <= parsed.year <= 9000:
        raise ApiError.field(name, f"{name} must be between 1970 and 9000.")
    return parsed


def moment(data: dict, name: str, default=MISSING):
    """An ISO 8601 time with its offset (a bare time is read as UTC, as Statuspage does)."""
    value = data.get(name, default)
    if value is MISSING or value is None or value is default:
        return value
    parsed = None
    if isinstance(value, str):
        text = value.strip()
        unencoded = _UNENCODED_PLUS.fullmatch(text)
        if unencoded:
            text = f"{unencoded.group(1)}+{unencoded.group(2)}"
        try:
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
    if parsed is None:
        raise ApiError.field(name, f"{name} must be an ISO 8601 time, e.g. 2026-01-05T10:00:00Z.")
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    if not datetime(1970, 1, 2, tzinfo=UTC) <= parsed <= datetime(9999, 1, 1, tzinfo=UTC):
        raise ApiError.field(name, f"{name} is out of range.")
    return parsed


def id_list(data: dict[str, Any], name: str, default: _Default) -> list[str] | _Default:
    """The ids listed under `name`, or `default` when it is absent."""
    value = data.get(name, default)
    if value is default:  # absent, or the default itself (e.g. null for a default of None)
        return default
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str) and ID.fullmatch(v) for v in value
    ):
        raise ApiError.field(name, f"{name} must be a list of ids.")
    return value


def mapping(data: dict[str, Any], name: str, default: _Default) -> dict[str, Any] | _Default:
    """The object under `name`, or `default` when it is absent."""
    value = data.get(name, default)
    if value is default:  # absent, or the default itself
        return default
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise ApiError.field(name, f"{name} must be an object.")
    return value
