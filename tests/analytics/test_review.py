"""The physio review (analytics/review.py) on hand-made timelines with known answers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.exposure import exposure_report
from analytics.rank_correlation import rank, spearman
from analytics.records import Posture, Timeline
from analytics.review import review
from analytics.review_bouts import saddle_bouts
from analytics.review_inputs import AlertMark, PainScore
from analytics.review_records import CORRELATION_N_FLOOR, DayAdherence

S, U, N, L = Posture.SITTING, Posture.UPRIGHT, Posture.NONWEAR, Posture.LYING
RS, RST = Posture.RIDING_SEATED, Posture.RIDING_STANDING
D0 = dt.date(2026, 6, 1)  # a Monday
UTC = "UTC"


def midnight(day: dt.date, zone: str = UTC) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).timestamp())


def hhmm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * 60


Span = tuple[str, str, Posture, float]  # from, to (HH:MM), posture, hip angle


def day_arrays(spans: list[Span], n: int = 86_400) -> tuple[np.ndarray, np.ndarray]:
    """A day lying at night and upright 07:00–22:00 (hip 5°), with ``spans`` painted
    over it."""
    posture = np.full(n, L, dtype=np.int8)
    hip = np.full(n, 10.0)
    posture[hhmm("07:00") : hhmm("22:00")] = U
    hip[hhmm("07:00") : hhmm("22:00")] = 5.0
    for a, b, p, deg in spans:
        posture[hhmm(a) : hhmm(b)] = p
        hip[hhmm(a) : hhmm(b)] = deg
    hip[posture == N] = np.nan
    return posture, hip


def timeline(days: list[list[Span]], first: dt.date = D0, zone: str = UTC) -> Timeline:
    ps, hs = [], []
    for i, spans in enumerate(days):
        day = first + dt.timedelta(days=i)
        n = midnight(day + dt.timedelta(days=1), zone) - midnight(day, zone)
        p, h = day_arrays(spans, n)
        ps.append(p)
        hs.append(h)
    return Timeline(
        t0_s=midnight(first, zone),
        posture=np.concatenate(ps),
        hip_flexion_deg=np.concatenate(hs),
    )


def at(day_index: int, clock: str, first: dt.date = D0) -> float:
    return float(midnight(first + dt.timedelta(days=day_index)) + hhmm(clock))


LOW_WEAR: list[Span] = [("00:00", "09:00", N, 0.0), ("13:00", "24:00", N, 0.0)]


# --------------------------------------------------------------------------- days


def test_daily_compression_wear_and_low_wear_days() -> None:
    tl = timeline(
        [
            [("10:00", "11:30", S, 85.0)],  # 90 min sitting, one long bout
            [("09:00", "10:00", RS, 80.0), ("18:00", "18:30", S, 85.0)],  # a ride, a sit
            [*LOW_WEAR, ("10:00", "12:00", S, 85.0)],  # worn 4 h: not valid
        ]
    )
    r = review(tl, tz=UTC)
    d1, d2, d3 = r.days
    assert [d.date for d in r.days] == ["2026-06-01", "2026-06-02", "2026-06-03"]
    assert [d.weekday for d in r.days] == ["Mon", "Tue", "Wed"]
    assert (d1.compression_s, d1.sitting_s, d1.long_bouts, d1.longest_bout_s) == (
        5400,
        5400,
        1,
        5400,
    )
    assert (d1.bouts_gt30, d1.compression_bouts, d1.breaks_taken) == (1, 1, 1)
    assert (d2.compression_s, d2.riding_seated_s, d2.sitting_s) == (5400, 3600, 1800)
    assert d2.long_bouts == 0
    assert d2.compression_bouts == 2
    assert (d3.valid, d3.wear_s, d3.compression_s) == (False, 4 * 3600, 7200)
    assert d1.valid
    assert d2.valid
    t = r.totals
    assert (t.days, t.valid_days, t.long_bouts, t.longest_bout_s) == (3, 2, 2, 7200)
    assert t.mean_compression_valid_s == 5400  # the low-wear day is left out
    wear = next(f for f in r.flags if f.kind == "wear")
    assert wear.text.startswith("1 of 3 days is not valid: 1 with too little wear (< 10 h)")
    assert r.has_data
    assert r.any_riding


def test_a_high_compression_day_needs_enough_wear() -> None:
    tl = timeline(
        [
            [("08:00", "15:00", S, 85.0)],  # 7 h: high
            [*LOW_WEAR, ("09:00", "13:00", S, 85.0)],  # 4 h worn, all sitting: not high
        ]
    )
    r = review(tl, tz=UTC, high_compression_s=3 * 3600)
    assert [d.high_compression for d in r.days] == [True, False]
    assert r.totals.high_compression_days == 1


def test_days_follow_the_local_calendar_through_dst() -> None:
    zone = "Europe/London"  # 2026-03-29 has 23 hours
    first = dt.date(2026, 3, 28)
    tl = timeline([[], [], []], first=first, zone=zone)
    r = review(tl, tz=zone)
    assert [d.date for d in r.days] == ["2026-03-28", "2026-03-29", "2026-03-30"]
    assert [d.wear_s for d in r.days] == [86_400, 82_800, 86_400]
    assert r.tz == zone


def test_hip_minutes_and_dose_per_day() -> None:
    tl = timeline([[("10:00", "10:30", S, 100.0), ("10:30", "11:00", S, 85.0)], []])
    r = review(tl, tz=UTC)
    assert r.days[0].hip_gt90_s == 1800
    assert r.days[0].hip_dose_deg_min == pytest.approx(10.0 * 30)
    assert r.days[1].hip_gt90_s == 0
    assert r.totals.hip_gt90_s == 1800
    (top,) = r.longest_bouts[:1]
    assert (top.duration_s, top.hip_gt90_s, top.start_local) == (3600, 1800, "10:00")
    assert top.hip_dose_deg_min == pytest.approx(300.0)


# --------------------------------------------------------------------------- bouts


def test_bout_bins_are_the_activpal_bins() -> None:
    tl = timeline(
        [
            [
                ("08:00", "08:10", S, 85.0),  # < 30 min
                ("08:20", "09:05", S, 85.0),  # 30–60 min
                ("09:30", "11:00", S, 85.0),  # 1–2 h
                ("11:30", "14:30", S, 85.0),  # 2–4 h
                ("15:00", "20:00", S, 85.0),  # ≥ 4 h
            ]
        ]
    )
    b = review(tl, tz=UTC).bins
    assert b.labels == ("<30min", "30-60min", "1-2h", "2-4h", ">=4h")
    assert b.compression_counts == (1, 1, 1, 1, 1)
    assert b.sitting_counts == (1, 1, 1, 1, 1)
    assert b.compression_time_s == (600, 2700, 5400, 10800, 18000)
    assert b.sitting_time_s == b.compression_time_s


def test_a_micro_break_joins_compression_bouts_but_splits_activpal_bouts() -> None:
    # 40 min, 60 s upright (≥ 10 s: ends an activPAL bout; < 2 min: a micro-break), 40 min
    tl = timeline([[("09:00", "09:40", S, 85.0), ("09:41", "10:21", S, 85.0)]])
    r = review(tl, tz=UTC)
    assert r.bins.compression_counts == (0, 0, 1, 0, 0)  # one 81-minute bout
    assert r.bins.sitting_counts == (0, 2, 0, 0, 0)  # two 40-minute bouts
    (bout,) = r.longest_bouts
    assert (bout.duration_s, bout.seated_s, bout.micro_breaks) == (81 * 60, 80 * 60, 1)
    assert bout.ended_by == "break"
    assert r.days[0].long_bouts == 1


def test_the_longest_bouts_come_first_and_only_from_the_range() -> None:
    tl = timeline(
        [
            [("09:00", "09:50", S, 85.0)],
            [("09:00", "11:00", S, 85.0), ("14:00", "14:40", S, 95.0)],
            [("09:00", "10:00", S, 85.0)],
        ]
    )
    r = review(tl, tz=UTC, first_day=D0 + dt.timedelta(days=1), longest_n=2)
    assert [d.date for d in r.days] == ["2026-06-02", "2026-06-03"]
    assert [(b.date, b.start_local, b.duration_s) for b in r.longest_bouts] == [
        ("2026-06-02", "09:00", 7200),
        ("2026-06-03", "09:00", 3600),
    ]


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


# --------------------------------------------------------------------------- saddle


def test_saddle_bouts_follow_the_saddle_rules() -> None:
    tl = timeline(
        [
            [
                ("09:00", "09:30", RS, 80.0),
                ("09:30", "09:31", RST, 60.0),  # 60 s on the pedals: ends the bout
                ("09:31", "10:01", RS, 95.0),
                ("14:00", "15:00", RS, 80.0),
            ]
        ]
    )
    # a 5 s stand inside the afternoon ride stays inside its bout
    k = hhmm("14:20")
    tl.posture[k : k + 5] = RST
    r = review(tl, tz=UTC)
    assert r.any_riding
    got = [(b.start_local, b.duration_s, b.hip_gt90_s) for b in r.saddle_bouts]
    assert got == [("14:00", 3600, 0), ("09:00", 1800, 0), ("09:31", 1800, 1800)]
    day = r.days[0]
    assert day.saddle_longest_seated_s == 3600  # the same rules as analytics/saddle.py
    assert day.saddle_seated_s == 1800 + 1800 + 3600 - 5
    assert day.saddle_hip_gt90_s == 1800
    assert [b.duration_s for b in saddle_bouts(tl)] == [1800, 1800, 3600]


def test_no_riding_no_saddle_bouts() -> None:
    r = review(timeline([[("09:00", "10:00", S, 85.0)]]), tz=UTC)
    assert not r.any_riding
    assert r.saddle_bouts == ()


# --------------------------------------------------------------------------- weeks


def test_weeks_are_the_exposure_reports_load_change() -> None:
    days: list[list[Span]] = [[("09:00", "11:00", S, 85.0)]] * 7 + [
        [("09:00", "12:00", S, 85.0)]
    ] * 7
    tl = timeline(days)
    r = review(tl, tz=UTC)
    assert [w.change for w in r.weeks] == list(exposure_report(tl, tz=UTC).weeks)
    w1, w2 = r.weeks
    assert w2.change.change == pytest.approx(0.5)
    assert w2.change.flagged
    assert (w1.days, w2.days, w1.long_bouts, w2.long_bouts) == (7, 7, 7, 7)
    flag = next(f for f in r.flags if f.kind == "load_change")
    assert flag.text.startswith("Week of 2026-06-08: daily compression +50 %")


# --------------------------------------------------------------------------- pain


HEAVY: list[Span] = [("08:00", "15:00", S, 95.0)]  # 7 h, one long bout, 7 h above 90°
LIGHT: list[Span] = [("09:00", "10:00", S, 85.0), ("14:00", "15:00", S, 85.0)]  # 2 h
PLAN = [LIGHT, HEAVY, LIGHT, HEAVY, LIGHT, LIGHT, HEAVY]


def mornings(scores: dict[int, int], clock: str = "07:15") -> list[PainScore]:
    return [PainScore(at(i, clock), s) for i, s in scores.items()]


def plan_scores() -> dict[int, int]:
    """The first morning (index 0) answers for a day before the timeline; morning i
    answers for day i - 1; the morning after the last day (7) is included."""
    return {0: 2, **{i + 1: (5 if PLAN[i] is HEAVY else 2) for i in range(len(PLAN))}}


def test_next_morning_pain_against_the_previous_day() -> None:
    pain = [
        *mornings(plan_scores()),
        PainScore(at(3, "21:00"), 9, "evening"),  # never in the 24-hour response
        PainScore(at(2, "08:00"), 9, "morning"),  # a second morning score: the first counts
    ]
    r = review(timeline(PLAN), (), (), pain, tz=UTC)
    p = r.pain
    assert [m.date for m in p.mornings] == [
        (D0 + dt.timedelta(days=i)).isoformat() for i in range(8)
    ]
    assert (p.baseline, p.baseline_source) == (2.0, "median")
    above = [m.above_baseline for m in p.mornings]
    assert above == [False, False, True, False, True, False, False, True]
    first = p.mornings[0]
    assert not first.previous_known
    assert first.previous_compression_s is None
    m2 = p.mornings[2]  # after the heavy Tuesday
    assert (m2.previous_date, m2.previous_compression_s, m2.previous_long_bouts) == (
        "2026-06-02",
        7 * 3600,
        1,
    )
    assert (m2.previous_hip_gt90_s, m2.previous_high_compression) == (7 * 3600, True)
    assert (p.above, p.above_after_high, p.after_high) == (3, 3, 3)
    assert (p.after_other, p.above_after_other, p.pairs) == (4, 0, 7)
    assert p.correlation is not None
    assert p.correlation.n == 7
    assert p.correlation.rho == pytest.approx(1.0)
    assert "strong rank correlation" in p.correlation_text
    assert "not proof of cause" in p.correlation_text
    days = {d.date: d for d in r.days}
    assert days["2026-06-02"].pain_next_morning == 5
    assert days["2026-06-02"].pain_next_above_baseline
    assert days["2026-06-07"].pain_next_morning == 5  # the morning after the last day
    flag = r.flags[0]
    assert flag.kind == "pain"
    assert flag.level == "alert"
    assert flag.text.startswith(
        "3 of 3 mornings with pain above baseline (2/10, the median of the mornings) "
        "followed days with > 6 h compression."
    )
    assert "after other valid days 0 of 4" in flag.text
    assert any(f.kind == "correlation" for f in r.flags)


def test_an_explicit_baseline_wins_over_the_median() -> None:
    r = review(timeline(PLAN), pain=mornings(plan_scores()), tz=UTC, baseline=5)
    assert (r.pain.baseline, r.pain.baseline_source, r.pain.above) == (5.0, "given", 0)
    pain_flag = next(f for f in r.flags if f.kind == "pain")
    assert pain_flag.level == "note"
    assert "5/10, given" in pain_flag.text
    with pytest.raises(ValueError, match="baseline"):
        review(timeline(PLAN), tz=UTC, baseline=11)


def test_the_correlation_needs_enough_mornings_with_a_valid_previous_day() -> None:
    plan = [HEAVY, LIGHT, [*LOW_WEAR, ("09:00", "12:00", S, 85.0)], HEAVY, LIGHT]
    scores = {1: 5, 2: 2, 3: 6, 4: 5, 5: 2}
    r = review(timeline(plan), pain=mornings(scores), tz=UTC)
    p = r.pain
    assert p.pairs == CORRELATION_N_FLOOR - 1  # the morning after the low-wear day is out
    assert p.correlation is None
    assert p.correlation_text.startswith("Too few mornings with a valid previous day (n = 4)")
    after_low = next(m for m in p.mornings if m.previous_date == "2026-06-03")
    assert after_low.above_baseline
    assert not after_low.previous_valid
    assert after_low.previous_high_compression is None
    assert not any(f.kind == "correlation" for f in r.flags)


def test_constant_pain_gives_no_correlation() -> None:
    r = review(timeline(PLAN), pain=mornings(dict.fromkeys(range(1, 8), 3)), tz=UTC)
    assert r.pain.pairs == 7
    assert r.pain.correlation is None
    assert "did not vary" in r.pain.correlation_text


def test_a_day_before_the_range_answers_for_the_first_morning() -> None:
    tl = timeline([HEAVY, LIGHT, LIGHT])
    r = review(tl, pain=mornings({1: 6, 2: 2}), tz=UTC, first_day=D0 + dt.timedelta(days=1))
    assert [d.date for d in r.days] == ["2026-06-02", "2026-06-03"]
    first = r.pain.mornings[0]
    assert (first.date, first.previous_date, first.previous_compression_s) == (
        "2026-06-02",
        "2026-06-01",
        7 * 3600,
    )
    assert r.totals.compression_s == 4 * 3600  # the day before is not in the totals


def test_one_morning_after_a_day_without_data_concludes_nothing() -> None:
    # data on Monday only; the only score is Wednesday morning (Tuesday had no data)
    r = review(timeline([LIGHT]), pain=mornings({2: 2}), tz=UTC, last_day=D0 + dt.timedelta(days=2))
    (m,) = r.pain.mornings
    assert not m.previous_valid
    pain_flag = next(f for f in r.flags if f.kind == "pain")
    assert "tolerated" not in pain_flag.text
    assert "too much" not in pain_flag.text
    assert "not enough data" in pain_flag.text
    assert pain_flag.text.startswith("1 morning pain score, but no valid day before it")


def test_pain_above_baseline_after_low_wear_days_is_shown_without_a_conclusion() -> None:
    plan = [LIGHT, LOW_WEAR, LOW_WEAR]
    r = review(timeline(plan), pain=mornings({2: 2, 3: 6}), tz=UTC, baseline=2)
    pain_flag = next(f for f in r.flags if f.kind == "pain")
    assert pain_flag.level == "alert"
    assert "1 of 2 mornings" in pain_flag.text
    assert "not enough data" in pain_flag.text
    assert "compression" not in pain_flag.text.split("not enough data")[0]


def test_tolerated_only_counts_mornings_after_valid_days() -> None:
    plan = [LIGHT, LIGHT, LOW_WEAR]
    r = review(timeline(plan), pain=mornings({1: 2, 2: 2, 3: 2}), tz=UTC)
    pain_flag = next(f for f in r.flags if f.kind == "pain")
    assert pain_flag.text.startswith(
        "No morning pain above baseline (2/10, the median of the mornings) in the 2 "
        "mornings after a valid day: the load was tolerated."
    )
    assert "1 more morning score follows a day without enough data" in pain_flag.text


# --------------------------------------------------------------------------- edges


def test_a_range_without_data() -> None:
    empty = Timeline(0, np.zeros(0, dtype=np.int8), np.zeros(0))
    r = review(empty, tz=UTC, first_day=D0, last_day=D0 + dt.timedelta(days=2))
    assert not r.has_data
    assert len(r.days) == 3
    assert all(d.wear_s == 0 and not d.valid for d in r.days)
    assert r.flags[0].kind == "no_data"
    assert r.longest_bouts == ()
    assert r.pain.mornings == ()
    with pytest.raises(ValueError, match="first_day"):
        review(empty, tz=UTC)


def test_last_day_before_first_day_is_an_error() -> None:
    with pytest.raises(ValueError, match="before"):
        review(timeline([[]]), tz=UTC, first_day=D0, last_day=D0 - dt.timedelta(days=1))


def test_spearman_and_ranks() -> None:
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(0.8207826816681233)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(0.9486832980505138)
    assert spearman([3, 2, 1], [1, 2, 3]) == pytest.approx(-1.0)
    assert spearman([1, 1, 1], [1, 2, 3]) is None
    assert spearman([1], [2]) is None
    assert list(rank(np.array([10.0, 20.0, 20.0, 5.0]))) == [2.0, 3.5, 3.5, 1.0]
    with pytest.raises(ValueError, match="same length"):
        spearman([1, 2], [1, 2, 3])
