"""The review as data: ``--format json`` (one object) and ``--format csv`` (the
per-day table with a header row). Times are seconds, as everywhere in sitload's
JSON; the CSV uses minutes (one decimal) so it opens readably in a spreadsheet."""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any

from analytics.durations import format_decimal_min
from analytics.review_records import DayReview, Review
from collector.json_encoding import jsonable_document
from collector.output import to_json
from collector.review.meta import ReportMeta

SCHEMA = "sitload.review/1"


def review_dict(r: Review, meta: ReportMeta) -> dict[str, Any]:
    """Everything in the review, plus who and when (pseudonymous id only)."""
    p = r.params
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "user": meta.user,
        "store": {"kind": meta.store, "source": meta.source},
        "first_day": r.first_day.isoformat(),
        "last_day": r.last_day.isoformat(),
        "time_zone": r.tz,
        "generated_at": meta.generated_at.isoformat(timespec="seconds"),
        "sitload_version": meta.version,
        "has_data": r.has_data,
        "thresholds": {
            "high_compression_s": r.high_compression_s,
            "long_bout_s": r.long_bout_s,
            "break_s": p.break_s,
            "valid_day_wear_s": p.valid_day_wear_s,
            "load_change_flag": p.load_change_flag,
        },
        "flags": [dataclasses.asdict(f) for f in r.flags],
        "totals": dataclasses.asdict(r.totals),
        "days": [dataclasses.asdict(d) for d in r.days],
        "bout_bins": dataclasses.asdict(r.bins),
        "longest_bouts": [dataclasses.asdict(b) for b in r.longest_bouts],
        "any_riding": r.any_riding,
        "saddle_bouts": [dataclasses.asdict(b) for b in r.saddle_bouts],
        "rides": [dataclasses.asdict(b) for b in r.rides],
        "saddle_weeks": [
            {**dataclasses.asdict(w), "week_start": w.week_start.isoformat()}
            for w in r.saddle_weeks
        ],
        "weeks": [
            {
                "week_start": w.change.week_start.isoformat(),
                "days": w.days,
                "valid_days": w.change.valid_days,
                "mean_daily_compression_s": w.change.mean_daily_compression_s,
                "change": w.change.change,
                "flagged": w.change.flagged,
                "mean_hip_gt90_s": w.mean_hip_gt90_s,
                "long_bouts": w.long_bouts,
                "mean_morning_pain": w.mean_morning_pain,
            }
            for w in r.weeks
        ],
        "pain": dataclasses.asdict(r.pain),
    }
    return jsonable_document(out, digits=3)


def render_json(r: Review, meta: ReportMeta) -> str:
    return to_json(review_dict(r, meta)) + "\n"


CSV_COLUMNS = (
    "date",
    "weekday",
    "valid",
    "wear_min",
    "sitting_min",
    "riding_seated_min",
    "compression_min",
    "high_compression",
    "compression_bouts",
    "bouts_gt30min",
    "long_bouts",
    "longest_bout_min",
    "sitting_bouts_gt30min",
    "sitting_bouts_gt60min",
    "sit_to_stand",
    "hip_gt90_min",
    "hip_dose_deg_min",
    "breaks_taken",
    "micro_breaks",
    "saddle_seated_min",
    "saddle_longest_seated_min",
    "saddle_hip_gt90_min",
    "prompted",
    "taken",
    "natural",
    "late",
    "snoozed",
    "ignored",
    "adherence_source",
    "pain_next_morning",
    "pain_next_above_baseline",
)


def _row(d: DayReview) -> list[str]:
    a = d.adherence
    counts = (
        [str(a.prompted), str(a.taken), str(a.natural), str(a.late), str(a.snoozed), str(a.ignored)]
        if a.known
        else [""] * 6
    )
    return [
        d.date,
        d.weekday,
        str(d.valid).lower(),
        format_decimal_min(d.wear_s),
        format_decimal_min(d.sitting_s),
        format_decimal_min(d.riding_seated_s),
        format_decimal_min(d.compression_s),
        str(d.high_compression).lower(),
        str(d.compression_bouts),
        str(d.bouts_gt30),
        str(d.long_bouts),
        format_decimal_min(d.longest_bout_s),
        str(d.sitting_bouts_gt30min),
        str(d.sitting_bouts_gt60min),
        str(d.sit_to_stand),
        format_decimal_min(d.hip_gt90_s),
        f"{d.hip_dose_deg_min:.1f}",
        str(d.breaks_taken),
        str(d.micro_breaks),
        format_decimal_min(d.saddle_seated_s),
        format_decimal_min(d.saddle_longest_seated_s),
        format_decimal_min(d.saddle_hip_gt90_s),
        *counts,
        a.source,
        "" if d.pain_next_morning is None else str(d.pain_next_morning),
        str(d.pain_next_above_baseline).lower() if d.pain_next_morning is not None else "",
    ]


def render_csv(r: Review) -> str:
    """One row per local day; times in minutes; empty cells where unknown."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for d in r.days:
        w.writerow(_row(d))
    return buf.getvalue()
