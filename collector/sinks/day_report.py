"""The day summary as the sinks publish it (pure): the retained ``<base>/daily`` MQTT
payload and the console's few lines.

The figures are :class:`analytics.day_summary.DaySummary`'s (one owner for each);
here they only get their units in the key names and their rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analytics.day_summary import DaySummary
from analytics.durations import format_h_min
from collector.plural import counted

SCHEMA = 1
"""Version of the ``daily`` payload (the MQTT schema's, see docs/mqtt.md)."""

MINUTE_DECIMALS = 1
"""Minutes in the ``daily`` payload are rounded to a tenth."""


@dataclass(frozen=True, slots=True)
class DayReport:
    """A day's summary, where it was recorded and for whom."""

    summary: DaySummary
    user_id: str
    history: str | None
    """The history store's URL without its password (None: no history kept)."""
    valid_day_wear_s: float
    """The wear rule the day was judged by (``ExposureParams.valid_day_wear_s``)."""


def _minutes(seconds: float) -> float:
    return round(seconds / 60.0, MINUTE_DECIMALS)


def daily_payload(report: DayReport) -> dict[str, Any]:
    """``<base>/daily`` (retained): one local day, minutes rounded to a tenth."""
    s = report.summary
    return {
        "date": s.date,
        "complete": s.complete,
        "sitting_min": _minutes(s.sitting_s),
        "compression_min": _minutes(s.compression_s),
        "bouts_gt30min": s.bouts_gt30,
        "bouts_gt60min": s.bouts_gt60,
        "longest_bout_min": _minutes(s.longest_bout_s),
        "breaks_taken": s.breaks_taken,
        "prompts": s.prompted,
        "breaks_after_prompts": s.taken_after_prompt,
        "micro_breaks": s.micro_breaks,
        "hip_gt90_min": _minutes(s.hip_gt90_s),
        "wear_min": _minutes(s.wear_s),
        "valid_day": s.valid,
        "valid_day_wear_min": _minutes(report.valid_day_wear_s),
        "history": report.history,
        "user": report.user_id,
        "schema": SCHEMA,
    }


def day_lines(report: DayReport) -> list[str]:
    """The console's block: what the day was, in a few lines."""
    s = report.summary
    when = "" if s.complete else " (so far)"
    prompts = (
        "no stand prompts"
        if s.prompted == 0
        else f"{s.taken_after_prompt} of {counted(s.prompted, 'stand prompt')} "
        "followed by a break in time"
    )
    validity = "a valid day" if s.valid else "not a valid day"
    where = (
        f"history: {report.history} (user {report.user_id})"
        if report.history is not None
        else f"history: not kept (user {report.user_id})"
    )
    riding_s = s.compression_s - s.sitting_s
    riding = f" (+ {format_h_min(riding_s)} riding seated)" if riding_s >= 30.0 else ""
    return [
        f"day {s.date}{when}",
        f"  sitting {format_h_min(s.sitting_s)}{riding} · "
        f"{counted(s.bouts_gt30, 'bout')} over 30 min, {s.bouts_gt60} over 60 min · "
        f"longest bout {format_h_min(s.longest_bout_s)}",
        f"  {counted(s.breaks_taken, 'break')} ({prompts}) · "
        f"{counted(s.micro_breaks, 'micro-break')}",
        f"  hip over 90° {format_h_min(s.hip_gt90_s)} · {validity} "
        f"(worn {format_h_min(s.wear_s)}, needs {format_h_min(report.valid_day_wear_s)})",
        f"  {where}",
    ]
