"""Quiet and working hours: ``"HH:MM-HH:MM"`` windows of the local day."""

from __future__ import annotations

import re

from analytics.alert_params import DAY_S

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_WINDOW_HINT = "write HH:MM-HH:MM (24-hour clock, 00:00 to 23:59; 24:00 only as an end)"


def _parse_clock(text: str, whole: str, *, end: bool) -> float:
    m = _CLOCK.match(text)
    if m is None:
        raise ValueError(f"{whole!r}: {text.strip()!r} is not a time of day; {_WINDOW_HINT}")
    hh, mm = int(m.group(1)), int(m.group(2))
    if end and (hh, mm) == (24, 0):
        return DAY_S
    if hh > 23 or mm > 59:
        raise ValueError(f"{whole!r}: {text.strip()} is not a time of day; {_WINDOW_HINT}")
    return float(hh * 3600 + mm * 60)


def parse_window(text: str, *, wrap: bool) -> tuple[float, float]:
    """``"HH:MM-HH:MM"`` -> ``(start_s, end_s)`` in local seconds of the day.

    ``wrap``: the window may pass midnight (quiet hours, ``"22:00-07:00"``); otherwise
    it must start before it ends (working hours). ``24:00`` is allowed as an end.
    """
    start, sep, end = text.replace("–", "-").partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not a window; {_WINDOW_HINT}, e.g. '09:00-17:30'")
    a = _parse_clock(start, text, end=False)
    b = _parse_clock(end, text, end=True)
    if wrap and (a == b or (a == 0.0 and b == DAY_S)):
        raise ValueError(f"{text!r} is empty or the whole day; start and end must differ")
    if not wrap and a >= b:
        raise ValueError(
            f"{text!r} must start before it ends; working hours cannot pass midnight: "
            "split the window over two days (…-24:00 and 00:00-…)"
        )
    return a, b


def format_window(window: tuple[float, float]) -> str:
    """``(start_s, end_s)`` -> ``"HH:MM-HH:MM"`` (inverse of :func:`parse_window`)."""

    def clock(s: float) -> str:
        minutes = round(s / 60.0)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return f"{clock(window[0])}-{clock(window[1])}"
