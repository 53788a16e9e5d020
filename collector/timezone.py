"""Time zones by name: this machine's (an IANA name, for calendar days) and the zone a
command's ``--tz`` chooses. Offset and calendar maths on a zone: analytics/local_days.py."""

from __future__ import annotations

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
    """This machine's IANA zone (tzlocal: ``$TZ`` as a name, ``:/path`` or a POSIX
    string, /etc/timezone, the /etc/localtime link), else UTC."""
    import tzlocal

    try:
        return tzlocal.get_localzone_name() or "UTC"
    except (ValueError, LookupError, OSError):
        return "UTC"
