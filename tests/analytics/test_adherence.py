"""The prompt-adherence rules (analytics/adherence.py), and the review counting a day
exactly as the live alert policy counted it."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.adherence import (
    COUNTER_NAMES,
    NO_COUNTS,
    SAME_INSTANT_S,
    AdherenceCounts,
    BreakOutcome,
    break_counts,
    break_done_s,
    break_outcome,
    gap_counts,
    prompt_counts,
    taken_by_s,
)
from analytics.alert_params import AlertParams
from analytics.alert_records import AlertInput
from analytics.alert_rules import run
from analytics.alert_state import AlertState
from analytics.compression import ExposureParams
from analytics.records import Posture, Timeline
from analytics.review import review
from analytics.review_inputs import AlertMark
from analytics.rules import RULES

S, U, L = Posture.SITTING, Posture.UPRIGHT, Posture.LYING


def test_a_break_done_by_the_deadline_is_taken_a_later_one_late() -> None:
    deadline = taken_by_s(1000.0, 600.0)
    assert deadline == 1600.0
    assert break_outcome(1600.0, deadline) == BreakOutcome.TAKEN
    assert break_outcome(1600.0 + SAME_INSTANT_S / 2, deadline) == BreakOutcome.TAKEN
    assert break_outcome(1601.0, deadline) == BreakOutcome.LATE
    assert break_outcome(1601.0, None) == BreakOutcome.NATURAL  # no prompt in the bout


def test_a_break_is_done_one_break_length_after_standing_up() -> None:
    assert break_done_s(500.0, ExposureParams().break_s) == 500.0 + RULES.break_s


def test_what_each_event_counts() -> None:
    assert prompt_counts(after_prompt=False) == AdherenceCounts(prompted=1)
    assert prompt_counts(after_prompt=True) == AdherenceCounts(prompted=1, ignored=1)
    assert break_counts(BreakOutcome.NATURAL) == AdherenceCounts(natural=1)
    assert break_counts(BreakOutcome.TAKEN) == AdherenceCounts(taken=1)
    assert break_counts(BreakOutcome.LATE) == AdherenceCounts(late=1, ignored=1)
    assert gap_counts(prompted=True) == AdherenceCounts(ignored=1)
    assert gap_counts(prompted=False) == NO_COUNTS


def test_counts_add_field_by_field_and_keep_the_stored_order() -> None:
    total = AdherenceCounts(1, 2, 3, 4, 5, 6) + AdherenceCounts(6, 5, 4, 3, 2, 1)
    assert total == AdherenceCounts(7, 7, 7, 7, 7, 7)
    assert COUNTER_NAMES == ("prompted", "taken", "natural", "late", "snoozed", "ignored")
    with pytest.raises(AttributeError):
        total.taken = 0  # type: ignore[misc]


def test_the_review_counts_a_day_as_the_alert_policy_did() -> None:
    """Without snoozes, quiet hours or working hours, the review's count from the
    policy's prompts and the timeline equals the policy's own counters."""
    t0 = 1_780_000_000 - 1_780_000_000 % 86_400  # a UTC midnight
    spans = [
        (L, 8 * 3600),
        (S, 45 * 60),  # prompted twice: the escalation ignores the prompt, then taken
        (U, 15 * 60),
        (S, 20 * 60),  # no prompt: a natural break
        (U, 10 * 60),
        (S, 2350),  # prompted; standing at 39:10, done 41:10: late
        (U, 10 * 60),
        (S, 35 * 60),  # prompted, then the sensor is off past a break: ignored
        (Posture.NONWEAR, 10 * 60),
        (S, 31 * 60),  # prompted, then in time
        (U, 5 * 60),
    ]
    posture = np.concatenate([np.full(n, p, dtype=np.int8) for p, n in spans])
    n_day = 86_400
    posture = np.concatenate([posture, np.full(n_day - posture.size, L, dtype=np.int8)])
    tl = Timeline(t0_s=t0, posture=posture, hip_flexion_deg=np.full(n_day, 10.0))
    busy = slice(8 * 3600 - 60, 8 * 3600 + sum(n for _, n in spans[1:]) + 60)
    inputs = [
        AlertInput(t_s=float(t0 + i), posture=Posture(int(posture[i])))
        for i in range(busy.start, busy.stop)
    ]
    state, alerts = run(AlertState(), AlertParams(), inputs)
    marks = [AlertMark(a.t_s, a.kind.value) for a in alerts]  # no counters carried
    a = review(tl, marks, tz="UTC").days[0].adherence
    assert a.source == "counted"
    assert a.counts == AdherenceCounts(
        state.prompted, state.taken, state.natural, state.late, state.snoozed, state.ignored
    )
    assert (a.prompted, a.taken, a.natural, a.late, a.ignored) == (5, 2, 1, 1, 3)
