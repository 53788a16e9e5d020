"""Next-morning pain against the previous day (analytics/review_pain.py) and the
pain flags."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.review import review
from analytics.review_inputs import PainScore
from analytics.review_records import CORRELATION_N_FLOOR
from tests.analytics.review_timelines import (
    D0,
    LOW_WEAR,
    UTC,
    S,
    Span,
    at,
    timeline,
)

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
