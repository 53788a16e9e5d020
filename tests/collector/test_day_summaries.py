"""The live service's day summaries (collector.service.day_summaries,
analytics.day_summary, collector.sinks.day_report): one per local day at its midnight,
the figures of the review's day row over the same seconds, bounded memory."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from analytics.adherence import AdherenceCounts
from analytics.alert_records import Adherence
from analytics.compression import ExposureParams
from analytics.day_summary import DaySummary, day_summary
from analytics.exposure import exposure_report
from analytics.records import Posture, Timeline
from collector.output import report_dict
from collector.service.day_summaries import DaySummaries
from collector.sinks.day_report import DayReport, daily_payload, day_lines

ZONE = ZoneInfo("Europe/Berlin")
P = ExposureParams()
S, U, NW = int(Posture.SITTING), int(Posture.UPRIGHT), int(Posture.NONWEAR)


def local_s(y: int, mo: int, d: int, h: int, mi: int = 0) -> int:
    return int(dt.datetime(y, mo, d, h, mi, tzinfo=ZONE).timestamp())


def seconds(parts: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    posture = np.concatenate([np.full(n, p, dtype=np.int8) for p, n in parts])
    hip = np.where(posture == S, 95.0, 10.0)
    hip[posture == NW] = np.nan
    return posture, hip


def feed(
    ds: DaySummaries, t0: int, posture: np.ndarray, hip: np.ndarray, step: int
) -> list[DaySummary]:
    out = []
    for i in range(0, posture.shape[0], step):
        out += ds.add(t0 + i, posture[i : i + step], hip[i : i + step])
    return out


def test_one_summary_per_local_day_at_its_midnight_with_the_day_rows_figures() -> None:
    """22:00 to 02:00 local over the night to Sunday 27 October 2024 (the clocks go back:
    a 25-hour day); each day's summary is the review's row of that day, in any chunking."""
    t0 = local_s(2024, 10, 26, 22)
    parts = [(S, 2400), (U, 300), (S, 1500), (U, 3000), (S, 4000), (U, 200), (S, 3000)]
    posture, hip = seconds(parts)
    tl = Timeline(t0, posture, hip)
    midnight = local_s(2024, 10, 27, 0)
    first = Timeline(t0, posture[: midnight - t0], hip[: midnight - t0])
    want = [
        day_summary(first, "2024-10-26", ZONE, AdherenceCounts(3, 1), P, complete=True),
        day_summary(tl, "2024-10-27", ZONE, AdherenceCounts(2, 2), P, complete=False),
    ]
    for step in (1, 7, 600, 20000):
        ds = DaySummaries(ZONE, P)
        ds.note(
            Adherence(day=(dt.date(2024, 10, 26) - dt.date(1970, 1, 1)).days, prompted=3, taken=1)
        )
        ds.note(
            Adherence(day=(dt.date(2024, 10, 27) - dt.date(1970, 1, 1)).days, prompted=2, taken=2)
        )
        done = feed(ds, t0, posture, hip, step)
        assert done == want[:1], step
        assert ds.final() == want[1]
    # the figures are analyze --json's (the review's day row over exposure_report)
    doc = report_dict(exposure_report(first, P, tz=ZONE))
    day = doc["days"][0]
    assert (want[0].sitting_s, want[0].breaks_taken) == (day["sitting_s"], day["breaks_taken"])
    assert want[0].hip_gt90_s == day["hip_flexion_gt90_s"] == 3900.0
    assert (want[0].bouts_gt30, want[0].bouts_gt60, want[0].longest_bout_s) == (1, 0, 2400.0)
    # the bout running at midnight counts on its first day, with its part before it
    assert want[1].bouts_gt60 == 1  # the 4000 s bout starts after midnight
    assert want[1].longest_bout_s == 4000.0


def test_a_bout_over_midnight_belongs_to_its_first_day_only() -> None:
    t0 = local_s(2024, 3, 4, 23)
    posture, hip = seconds([(S, 5400), (U, 600)])  # 23:00 to 00:30, then up
    ds = DaySummaries(ZONE, P)
    (monday,) = ds.add(t0, posture, hip)
    tuesday = ds.final()
    assert tuesday is not None
    assert (monday.date, monday.complete, monday.longest_bout_s) == ("2024-03-04", True, 3600.0)
    assert monday.bouts_gt30 == 1
    assert (tuesday.bouts_gt30, tuesday.longest_bout_s, tuesday.sitting_s) == (0, 0.0, 1800.0)


def test_holes_are_nonwear_and_memory_stays_at_two_days() -> None:
    ds = DaySummaries(ZONE, P)
    t0 = local_s(2024, 5, 6, 8)
    posture, hip = seconds([(S, 1200)])
    got: list[DaySummary] = []
    for day in range(10):  # ten days, 20 minutes of sitting each, an hour apart
        for k in range(3):
            got += ds.add(t0 + day * 86400 + k * 3600, posture, hip)
    assert [s.date for s in got] == [f"2024-05-{6 + d:02d}" for d in range(9)]
    assert all(s.sitting_s == 3600.0 and s.wear_s == 3600.0 for s in got)
    assert all(not s.valid for s in got)
    assert ds._posture.shape[0] <= 3 * 86400


def test_a_week_long_silence_drops_the_old_days() -> None:
    ds = DaySummaries(ZONE, P)
    posture, hip = seconds([(S, 600)])
    ds.add(local_s(2024, 5, 6, 8), posture, hip)
    (first,) = ds.add(local_s(2024, 5, 20, 8), posture, hip)
    assert first.date == "2024-05-06"
    assert ds._posture.shape[0] <= 3 * 86400


REPORT = DayReport(
    DaySummary(
        date="2024-05-06",
        complete=True,
        wear_s=36123.0,
        valid=True,
        sitting_s=22271.0,
        compression_s=22271.0,
        bouts_gt30=3,
        bouts_gt60=1,
        longest_bout_s=4561.0,
        breaks_taken=6,
        micro_breaks=11,
        hip_gt90_s=2713.0,
        prompted=4,
        taken_after_prompt=1,
    ),
    "p-017",
    "influxdb://writer@db:8086/sitload",
    36000.0,
)


def test_the_daily_payload_has_units_in_its_keys_and_rounded_numbers() -> None:
    assert daily_payload(REPORT) == {
        "date": "2024-05-06",
        "complete": True,
        "sitting_min": 371.2,
        "compression_min": 371.2,
        "bouts_gt30min": 3,
        "bouts_gt60min": 1,
        "longest_bout_min": 76.0,
        "breaks_taken": 6,
        "prompts": 4,
        "breaks_after_prompts": 1,
        "micro_breaks": 11,
        "hip_gt90_min": 45.2,
        "wear_min": 602.0,
        "valid_day": True,
        "valid_day_wear_min": 600.0,
        "history": "influxdb://writer@db:8086/sitload",
        "user": "p-017",
        "schema": 1,
    }


def test_the_console_block_reads_as_a_day() -> None:
    assert day_lines(REPORT) == [
        "day 2024-05-06",
        "  sitting 6 h 11 min · 3 bouts over 30 min, 1 over 60 min · longest bout 1 h 16 min",
        "  6 breaks (1 of 4 stand prompts followed by a break in time) · 11 micro-breaks",
        "  hip over 90° 45 min · a valid day (worn 10 h 02 min, needs 10 h 00 min)",
        "  history: influxdb://writer@db:8086/sitload (user p-017)",
    ]


def test_a_riders_day_says_its_seated_riding() -> None:
    rider = dataclasses.replace(REPORT.summary, compression_s=REPORT.summary.sitting_s + 5400.0)
    line = day_lines(dataclasses.replace(REPORT, summary=rider))[1]
    assert line.startswith("  sitting 6 h 11 min (+ 1 h 30 min riding seated) · ")
