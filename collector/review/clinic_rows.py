"""One row of the clinic overview per patient, taken from that patient's
:class:`~analytics.review_records.Review` — the record ``sitload report`` renders —
so a figure in the overview is always the one in the patient's own report (a test
compares every row with the report's JSON).

A patient whose report could not be placed (no daily totals or bouts to find the
last day with data) gets a row with the ``problem`` and no figures."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from analytics.review_records import Review
from collector.json_encoding import jsonable_document


@dataclass(frozen=True, slots=True, kw_only=True)
class ClinicRow:
    user: str
    """The pseudonymous user id."""
    report: str | None = None
    """File name of the patient's report beside the overview (None: not written)."""
    problem: str | None = None
    """Why the patient has no report (the range could not be placed)."""
    first_day: str | None = None
    last_day: str | None = None
    has_data: bool = False
    last_data_day: str | None = None
    """The last local day of the range with sensor wear."""
    days: int = 0
    valid_days: int = 0
    compression_per_valid_day_s: float | None = None
    """The report's ``totals.mean_compression_valid_s``."""
    trend: float | None = None
    """The latest week-over-week change of compression per valid day (the report's
    ``weeks[].change``: (this − previous) / previous)."""
    trend_week: str | None = None
    """Monday of the week that change belongs to."""
    trend_flagged: bool = False
    long_bouts: int = 0
    """Compression bouts longer than the report's ``long_bout_s`` (1 h)."""
    longest_bout_s: float = 0.0
    hip_gt90_per_valid_day_s: float | None = None
    """The report's ``totals.mean_hip_gt90_valid_s``."""
    prompted: int | None = None
    """Stand prompts of the range (None: no adherence data)."""
    taken: int | None = None
    """Prompts followed by a taken break."""
    mornings: int = 0
    """Morning pain scores that answer for a day of the range."""
    mornings_above: int = 0
    """Of those, above the baseline."""
    pain_baseline: float | None = None
    alerts: int = 0
    """Flags worth discussing."""
    notes: int = 0
    flag_kinds: tuple[str, ...] = ()
    """The report's flags, most important first."""
    flag_texts: tuple[str, ...] = ()

    @property
    def breaks_after_prompts(self) -> float | None:
        """Share of the prompts followed by a taken break."""
        if self.prompted is None or self.taken is None or self.prompted == 0:
            return None
        return self.taken / self.prompted


def latest_change(r: Review) -> tuple[float | None, str | None, bool]:
    """The last week of the range whose change is known: (change, its Monday, flagged)."""
    for w in reversed(r.weeks):
        if w.change.change is not None:
            return w.change.change, w.change.week_start.isoformat(), w.change.flagged
    return None, None, False


def clinic_row(r: Review, user: str, report: str | None) -> ClinicRow:
    """The overview's row of ``user`` from the review their report shows."""
    t = r.totals
    worn = [d.date for d in r.days if d.wear_s > 0]
    change, week, flagged = latest_change(r)
    a = t.adherence
    return ClinicRow(
        user=user,
        report=report,
        first_day=r.first_day.isoformat(),
        last_day=r.last_day.isoformat(),
        has_data=r.has_data,
        last_data_day=worn[-1] if worn else None,
        days=t.days,
        valid_days=t.valid_days,
        compression_per_valid_day_s=t.mean_compression_valid_s,
        trend=change,
        trend_week=week,
        trend_flagged=flagged,
        long_bouts=t.long_bouts,
        longest_bout_s=t.longest_bout_s,
        hip_gt90_per_valid_day_s=t.mean_hip_gt90_valid_s,
        prompted=a.prompted if a.known else None,
        taken=a.taken if a.known else None,
        mornings=len(r.pain.mornings),
        mornings_above=r.pain.above,
        pain_baseline=r.pain.baseline,
        alerts=sum(f.level == "alert" for f in r.flags),
        notes=sum(f.level == "note" for f in r.flags),
        flag_kinds=tuple(f.kind for f in r.flags),
        flag_texts=tuple(f.text for f in r.flags),
    )


def problem_row(user: str, problem: str) -> ClinicRow:
    return ClinicRow(user=user, problem=problem)


def row_dict(row: ClinicRow) -> dict[str, Any]:
    """The row as the overview's JSON has it (numbers rounded as the report's JSON)."""
    out = dataclasses.asdict(row)
    out["breaks_after_prompts"] = row.breaks_after_prompts
    return jsonable_document(out, digits=3)


def days_since(day: str | None, today: dt.date) -> int | None:
    return None if day is None else (today - dt.date.fromisoformat(day)).days


def default_order(rows: list[ClinicRow]) -> list[ClinicRow]:
    """Most alerts first, then most notes, then by user id; rows without a report last."""
    return sorted(rows, key=lambda w: (w.problem is not None, -w.alerts, -w.notes, w.user))
