"""Local calendar days of a time zone (pure: the zone is passed in, never the clock)."""

from __future__ import annotations

import datetime as dt
import functools
import math
from datetime import tzinfo
from zoneinfo import ZoneInfo


def zone_of(tz: str | tzinfo) -> tzinfo:
    """A ``tzinfo`` from an IANA name (``ZoneInfoNotFoundError`` if unknown)."""
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def zone_name(tz: str | tzinfo) -> str:
    """The IANA name of ``tz`` where it has one."""
    return tz if isinstance(tz, str) else str(getattr(tz, "key", None) or tz)


def local_midnight_s(day: dt.date, zone: tzinfo) -> float:
    """Unix time of the first instant of local ``day``."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def local_time(t_s: float, zone: tzinfo) -> dt.datetime:
    """The local date and time of Unix time ``t_s``."""
    return dt.datetime.fromtimestamp(t_s, zone)


def date_of(t_s: float, zone: tzinfo) -> str:
    """The local ISO date of ``t_s``. Every zone's offset is a whole number of quarter
    hours, so the date is constant over each UTC quarter hour: cached by it."""
    return _quarter_date(math.floor(t_s / 900.0), zone)


@functools.lru_cache(maxsize=4096)
def _quarter_date(quarter: int, zone: tzinfo) -> str:
    return local_time(quarter * 900.0, zone).date().isoformat()


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """``first`` … ``last``, both included."""
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


__all__ = ["date_of", "days_between", "local_midnight_s", "local_time", "zone_name", "zone_of"]
