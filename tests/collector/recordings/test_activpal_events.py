"""activPAL events to a timeline: every code's posture, gaps and overlaps, the start
between whole seconds, the time against the sample count (activpal_events.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from analytics.periods import total
from analytics.records import Posture
from collector.recordings import load_events
from tests.collector.recordings.activpal_files import classic, local, write

# --------------------------------------------------------------------------- mapping


def test_every_code_maps_to_a_posture(tmp_path: Path) -> None:
    codes = [0, 1, 2, 2.1, 3, 3.1, 3.2, 4, 5]
    rows = [(i * 10.0, i * 100, 10.0, c, 1 if i >= 2 else 0) for i, c in enumerate(codes)]
    loaded = load_events(write(tmp_path, classic(rows)))
    tl = loaded.timeline
    want = [
        Posture.SITTING,
        Posture.UPRIGHT,
        Posture.UPRIGHT,
        Posture.RIDING_SEATED,
        Posture.LYING,
        Posture.LYING,
        Posture.LYING,
        Posture.NONWEAR,
        Posture.SITTING,
    ]
    np.testing.assert_array_equal(tl.posture[::100], want)
    assert tl.stepping is not None
    np.testing.assert_array_equal(tl.stepping[::100], [c == 2 for c in codes])
    np.testing.assert_array_equal(loaded.events.seated_transport, [c == 5 for c in codes])
    assert local(tl.t0_s) == datetime(2018, 11, 25)
    m = total(tl, steps=loaded.events.step_counts())
    assert (m.sitting_s, m.upright_s, m.standing_s, m.stepping_s) == (20.0, 20.0, 10.0, 10.0)
    assert (m.riding_seated_s, m.lying_s, m.nonwear_s, m.steps) == (10.0, 30.0, 10.0, 2)


def test_gaps_are_non_wear_and_overlaps_are_cut(tmp_path: Path) -> None:
    rows = [(0.0, 0, 10.0, 0, 0), (15.0, 150, 10.0, 1, 0), (20.0, 200, 5.0, 0, 0)]
    loaded = load_events(write(tmp_path, classic(rows)))
    tl = loaded.timeline
    assert loaded.gap_s == 5.0
    assert tl.n == 250
    assert tl.seconds_in(Posture.NONWEAR) == 50
    assert tl.seconds_in(Posture.UPRIGHT) == 50  # cut from 10 s to 5 s
    assert len(loaded.warnings) == 2
    assert "5.0 s in 1 gap(s) filled with non-wear (first after row 2)" in loaded.warnings[0]
    assert "5.0 s cut from 1 event(s)" in loaded.warnings[1]
    assert "row 3" in loaded.warnings[1]


def test_a_start_between_whole_seconds_is_padded_with_non_wear(tmp_path: Path) -> None:
    rows = [(3600.3, 0, 1.0, 0, 0), (3601.3, 10, 1.0, 1, 0)]
    loaded = load_events(write(tmp_path, classic(rows)))
    tl = loaded.timeline
    assert local(tl.t0_s) == datetime(2018, 11, 25, 1)
    assert tl.posture[:3].tolist() == [Posture.NONWEAR] * 3
    assert tl.posture[3] == Posture.SITTING
    assert loaded.gap_s == 0.0
    assert loaded.events.times_s[0] == pytest.approx(tl.t0_s + 0.3)


def test_time_far_from_the_sample_count_is_warned(tmp_path: Path) -> None:
    rows = [(0.0, 0, 10.0, 0, 0), (60.0, 100, 10.0, 1, 0)]
    loaded = load_events(write(tmp_path, classic(rows)))
    assert loaded.warnings == (
        "row 3: Time differs from the sample count by 50.0 s; the sample count was used",
    )
