"""Time zones by name: this machine's (an IANA name, for calendar days) and the zone a
command's ``--tz`` chooses. Offset and calendar maths on a zone: analytics/local_days.py."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class UnknownZoneError(ValueError):
    """A ``--tz`` (or configured zone) that is not an IANA name (the message says so)."""


def zone_named(name: str) -> ZoneInfo:
    """The zone ``name``; :class:`UnknownZoneError` when there is none by that name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownZoneError(
            f"--tz {name!r}: unknown time zone; use an IANA name such as Europe/London"
        ) from None


def chosen_zone(tz: str | None, configured: str | None = None) -> ZoneInfo:
    """``--tz``, else the configured zone, else this machine's."""
    return zone_named(tz or configured or local_zone_name())


def local_zone_name() -> str:
    """``$TZ``, else /etc/timezone, else the target of /etc/localtime, else UTC."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        return tz
    try:
        name = Path("/etc/timezone").read_text(encoding="utf-8").strip()
        if name:
            return name
    except OSError:
        pass
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return "UTC"
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else "UTC"
