"""Durations as words for people to read (pure).

The review (analytics/review_*.py and the report in collector/review/) formats every
duration through these functions, so a length reads the same in a flag, a chart
caption and a table cell.
"""

from __future__ import annotations


def format_h_min(seconds: float) -> str:
    """Rounded to the minute: ``2 h 05 min``, ``35 min``."""
    minutes = round(seconds / 60.0)
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def format_h_min_s(seconds: float) -> str:
    """Rounded to the second, seconds shown below an hour: ``2 h 05 min``, ``3 min 07 s``."""
    h, rem = divmod(round(seconds), 3600)
    m, s = divmod(rem, 60)
    return f"{h:d} h {m:02d} min" if h else f"{m:d} min {s:02d} s"


def format_min_s(seconds: float) -> str:
    """Rounded to the second, for a sentence: ``2 min``, ``45 s``, ``1 min 30 s``."""
    s = round(seconds)
    if s % 60 == 0:
        return f"{s // 60} min"
    if s < 60:
        return f"{s} s"
    return f"{s // 60} min {s % 60} s"


def format_h_colon_min(seconds: float | None) -> str:
    """Rounded to the minute, for table cells: ``2:05``, ``0:35``; ``–`` for None."""
    if seconds is None:
        return "–"
    minutes = round(seconds / 60.0)
    return f"{minutes // 60}:{minutes % 60:02d}"


def format_threshold(seconds: float) -> str:
    """A threshold in words, whole hours in hours: ``6 h``, ``90 min``, ``1 h``."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return format_min(seconds)


def format_min(seconds: float) -> str:
    """In minutes, as many decimals as needed: ``2 min``, ``2.5 min``, ``90 min``."""
    return f"{seconds / 60:g} min"


def format_decimal_min(seconds: float) -> str:
    """In minutes with one decimal, as a number for a spreadsheet cell: ``12.5``."""
    return f"{seconds / 60.0:.1f}"


__all__ = [
    "format_decimal_min",
    "format_h_colon_min",
    "format_h_min",
    "format_h_min_s",
    "format_min",
    "format_min_s",
    "format_threshold",
]
