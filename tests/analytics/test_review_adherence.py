"""Adherence in the review (analytics/review_adherence.py): daily records, alert
payloads, and counting from the alerts and the bouts."""

from __future__ import annotations

import pytest

from analytics.records import Timeline
from analytics.review import review
from analytics.review_inputs import AlertMark
from analytics.review_records import DayAdherence
from tests.analytics.review_timelines import (
    UTC,
    N,
    S,
    at,
    timeline,
)

# --------------------------------------------------------------------------- adherence


def adherence_day() -> tuple[Timeline, list[AlertMark]]:
    tl = timeline(
        [
            [
                ("09:00", "09:45", S, 85.0),  # A: prompted twice, break in time
                ("10:00", "10:20", S, 85.0),  # B: no prompt: a natural break
                ("11:00", "12:25", S, 85.0),  # C: prompted, acknowledged, break late
                ("14:00", "14:40", S, 85.0),  # D: prompted, then the sensor is off
                ("14:40", "15:00", N, 0.0),
            ]
        ]
    )
    alerts = [
        AlertMark(at(0, "09:30"), "prompt"),
        AlertMark(at(0, "09:40"), "escalation"),
        AlertMark(at(0, "09:47"), "break_complete"),
        AlertMark(at(0, "11:30"), "prompt"),
        AlertMark(at(0, "11:35"), "snoozed"),
        AlertMark(at(0, "11:40"), "escalation"),
        AlertMark(at(0, "14:30"), "prompt"),
        AlertMark(at(0, "14:40"), "status"),
    ]
    return tl, alerts


def test_adherence_is_counted_from_alerts_and_bouts() -> None:
    tl, alerts = adherence_day()
    r = review(tl, alerts, tz=UTC)
    a = r.days[0].adherence
    assert a == DayAdherence("2026-06-01", 5, 1, 1, 1, 1, 4, "counted")
    assert a.prompted == a.taken + a.ignored  # no prompt left open at the end of the day
    assert a.taken_share == pytest.approx(0.2)
    assert r.totals.adherence.source == "counted"
    flag = next(f for f in r.flags if f.kind == "adherence")
    assert "1 of 5 stand prompts (20 %)" in flag.text
    assert "approximate" in flag.text


def test_a_longer_taken_window_turns_the_late_break_into_a_taken_one() -> None:
    tl, alerts = adherence_day()
    a = review(tl, alerts, tz=UTC, taken_within_s=3600).days[0].adherence
    assert (a.taken, a.late, a.ignored) == (2, 0, 3)


class Daily:
    def __init__(self, date: str, *counts: int) -> None:
        self.date = date
        self.prompted, self.taken, self.natural, self.late, self.snoozed, self.ignored = counts


def test_adherence_prefers_daily_records_then_alert_payloads() -> None:
    days = timeline([[], [], []])  # no sitting at all
    alerts = [
        AlertMark(at(1, "09:30"), "prompt", {"adherence": {"date": "2026-06-02", "prompted": 1}}),
        AlertMark(
            at(1, "10:00"),
            "break_complete",
            {"adherence": {"date": "2026-06-02", "prompted": 1, "taken": 1, "natural": 2}},
        ),
        AlertMark(at(2, "09:30"), "prompt"),
    ]
    daily = [Daily("2026-06-01", 7, 3, 2, 1, 1, 4)]
    r = review(days, alerts, daily, tz=UTC)
    d1, d2, d3 = (d.adherence for d in r.days)
    assert d1 == DayAdherence("2026-06-01", 7, 3, 2, 1, 1, 4, "daily")
    assert d2 == DayAdherence("2026-06-02", 1, 1, 2, 0, 0, 0, "alerts")  # the last alert's
    assert d3 == DayAdherence("2026-06-03", 1, 0, 0, 0, 0, 0, "counted")
    assert r.totals.adherence == DayAdherence("total", 9, 4, 4, 1, 1, 4, "counted")


def test_without_alerts_or_daily_records_adherence_is_unknown() -> None:
    r = review(timeline([[("09:00", "10:00", S, 85.0)]]), tz=UTC)
    assert r.days[0].adherence.source == "none"
    assert not r.totals.adherence.known
    assert not any(f.kind == "adherence" for f in r.flags)
