"""This machine's time zone, as an IANA name (for calendar days)."""

from __future__ import annotations

import os
from pathlib import Path


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
