"""The day summary of the live service (pure): one local day of the live engine's
per-second timeline, measured by the review's day row (:func:`analytics.review_days.day_review`
over :func:`analytics.exposure.exposure_report`, the functions behind ``sitload analyze
--json``'s ``days``), plus the day's prompt adherence counted by the live policy
(:mod:`analytics.adherence`).

Nothing is computed here a second time: the summary is a selection of the day row's
figures. Bouts belong to the day they start on, with their full length as far as the
timeline reaches (a bout still running at midnight counts with its part before it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Final

from analytics.adherence import AdherenceCounts
from analytics.compression import ExposureParams
from analytics.exposure import exposure_report
from analytics.local_days import date_of
from analytics.records import Timeline
from analytics.review_days import BOUT_GT30_S, day_review
from analytics.review_records import HIGH_COMPRESSION_S, DayAdherence

BOUT_GT60_S: Final = 3600.0
"""Compression bouts longer than this are counted per day (``bouts_gt60``)."""


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One local day as the person reads it at its end. Times in seconds."""

    date: str
    """Local ISO date."""
    complete: bool
    """The day ended (its midnight passed); False: the run stopped during it."""
    wear_s: float
    valid: bool
    """Worn at least ``ExposureParams.valid_day_wear_s`` (the wear rule)."""
    sitting_s: float
    compression_s: float
    """Sitting plus seated riding."""
    bouts_gt30: int
    """Compression bouts longer than 30 min (:data:`BOUT_GT30_S`)."""
    bouts_gt60: int
    """Compression bouts longer than 60 min (:data:`BOUT_GT60_S`)."""
    longest_bout_s: float
    breaks_taken: int
    """Upright spells of at least ``break_s``."""
    micro_breaks: int
    """Shorter upright spells inside bouts."""
    hip_gt90_s: float
    prompted: int
    """Stand prompts (live policy)."""
    taken_after_prompt: int
    """Prompts followed by a break in time (``taken``, docs/alerts.md)."""


def day_summary(
    timeline: Timeline,
    date: str,
    zone: tzinfo,
    adherence: AdherenceCounts,
    params: ExposureParams | None = None,
    *,
    complete: bool,
) -> DaySummary:
    """The summary of local ``date`` from ``timeline`` (which may start earlier, for
    the bouts that began the day before, and end at the day's midnight or sooner)."""
    report = exposure_report(timeline, params, tz=zone)
    period = next((d for d in report.days if d.measures.date == date), None)
    bouts = [b for b in report.bouts if date_of(b.start_s, zone) == date]
    row = day_review(
        date,
        period,
        bouts,
        DayAdherence.of(date, adherence, "daily"),
        HIGH_COMPRESSION_S,
        BOUT_GT60_S,
    )
    return DaySummary(
        date=date,
        complete=complete,
        wear_s=row.wear_s,
        valid=row.valid,
        sitting_s=row.sitting_s,
        compression_s=row.compression_s,
        bouts_gt30=row.bouts_gt30,
        bouts_gt60=row.long_bouts,
        longest_bout_s=row.longest_bout_s,
        breaks_taken=row.breaks_taken,
        micro_breaks=row.micro_breaks,
        hip_gt90_s=row.hip_gt90_s,
        prompted=adherence.prompted,
        taken_after_prompt=adherence.taken,
    )


__all__ = ["BOUT_GT30_S", "BOUT_GT60_S", "DaySummary", "day_summary"]
