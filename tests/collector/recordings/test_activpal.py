"""activPAL Events / EventsEx readers, format detection, malformed files, and the
oracle: PAL's own per-2-hour summary of 2018-11-25 (docs/activpal.md)."""

from __future__ import annotations

import csv
import dataclasses
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from analytics.period_bounds import Period, clock_periods
from analytics.periods import PeriodMeasures, measures, total
from analytics.records import Posture
from collector.recordings import (
    EVENT_FORMATS,
    FORMATS,
    RECORDING_FORMATS,
    RecordingError,
    detect_format,
    is_event_file,
    load_events,
    load_recording,
)
from collector.recordings.activpal_events import ActivPalEvents, events_timeline
from collector.recordings.sniff import sniff_activpal
from tests.collector.recordings.activpal_files import (
    CLASSIC_HEADER,
    EX_HEADER,
    local,
    serial,
    write,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "activpal"
SHARED = (REPO_ROOT / ".." / "shared" / "data" / "activpal-example").resolve()


# --------------------------------------------------------------------------- fixtures


def test_classic_excerpt() -> None:
    loaded = load_events(FIXTURES / "Test_Events_excerpt.csv")
    ev, tl = loaded.events, loaded.timeline
    assert (loaded.fmt, ev.variant, ev.n, loaded.warnings, loaded.gap_s) == (
        "activpal",
        "events",
        131,
        (),
        0.0,
    )
    assert local(tl.t0_s) == datetime(2018, 11, 25, 1, 31, 9)
    assert tl.dt_s == 0.1
    # events tile time after a lead of non-wear up to the first 0.1 s tick
    assert tl.n == int(ev.ticks[0]) + int(np.rint(ev.duration_s * 10).sum())
    assert int(ev.ticks[0]) == 5
    assert tl.seconds_in(Posture.NONWEAR) == 5
    assert int(ev.rows[0]) == 2
    assert np.all(np.isnan(tl.hip_flexion_deg))
    # per-code time, stepping, and steps
    per_code = {c: ev.duration_s[ev.codes == c].sum() for c in (0.0, 1.0, 2.0, 3.1, 3.2)}
    assert tl.seconds_in(Posture.SITTING) / 10 == pytest.approx(per_code[0.0])
    assert tl.seconds_in(Posture.UPRIGHT) / 10 == pytest.approx(per_code[1.0] + per_code[2.0])
    assert tl.seconds_in(Posture.LYING) / 10 == pytest.approx(per_code[3.1] + per_code[3.2])
    assert tl.stepping is not None
    assert np.count_nonzero(tl.stepping) / 10 == pytest.approx(per_code[2.0])
    assert int(ev.steps.sum()) == 2 * 106  # one stride (two steps) per stepping event
    assert ev.step_counts().t_s.shape == (106,)
    # the 18,484 s primary lying event of the oracle, at its file line
    i = int(np.flatnonzero(ev.rows == 13806 - 13700 + 2)[0])
    assert (ev.codes[i], ev.duration_s[i]) == (3.1, 18483.9)
    assert local(ev.times_s[i]) == datetime(2018, 11, 25, 4, 22, 53, 900000)


def test_eventsex_excerpt_starting_mid_recording() -> None:
    loaded = load_events(FIXTURES / "Test2-EventsEx_excerpt.csv")
    ev, tl = loaded.events, loaded.timeline
    assert (ev.variant, ev.n, loaded.warnings) == ("eventsex", 161, ())
    assert int(ev.ticks[0]) < 10  # DataCount is made relative to the first event
    assert int(ev.rows[0]) == 3
    # Time(approx) of the first row is 2020-11-18 22:56:59
    assert local(ev.times_s[0]).replace(microsecond=0) == datetime(2020, 11, 18, 22, 56, 59)
    assert tl.n == int(ev.ticks[0]) + int(np.rint(ev.duration_s * 10).sum())
    assert int(ev.cumulative_steps[0]) == 563
    assert int(ev.steps.sum()) == 2 * 130
    lying = ev.codes == 3.1
    assert ev.duration_s[lying].tolist() == [26342.0]
    m = total(tl, steps=ev.step_counts())
    assert m.steps == 260
    assert m.lying_s == 26342.0
    assert m.stepping_events is not None
    assert m.stepping_events > 0


def test_detection_and_the_two_entry_points(tmp_path: Path) -> None:
    assert FORMATS == ("auto", "csv", "wisdm", "parquet", "activpal")
    assert (RECORDING_FORMATS, EVENT_FORMATS) == (("csv", "wisdm", "parquet"), ("activpal",))
    for name in ("Test_Events_excerpt.csv", "Test2-EventsEx_excerpt.csv"):
        path = FIXTURES / name
        assert detect_format(path) == "activpal"
        assert is_event_file(path)
        with pytest.raises(RecordingError, match="read it with load_events"):
            load_recording(path)
        with pytest.raises(RecordingError, match="read it with load_events"):
            load_recording(path, "activpal")
    rec = write(tmp_path, "t_s,seat_p00\n0,1\n", "r.csv")
    assert not is_event_file(rec)
    assert is_event_file(rec, "activpal")  # the format name decides
    with pytest.raises(RecordingError, match="read it with load_recording"):
        load_events(rec)
    with pytest.raises(RecordingError, match="no such file"):
        load_events(tmp_path / "gone.csv")
    with pytest.raises(RecordingError, match="unknown format 'fit'"):
        load_events(rec, "fit")
    assert sniff_activpal('\ufeff"Time","DataCount (samples)"\n') == "events"
    assert sniff_activpal("Time,DataCount (samples),Interval (s)\n") == "events"
    assert sniff_activpal("sep=;\nTime;") == "eventsex"
    assert sniff_activpal("t_s,thigh_ax_g\n") is None


# --------------------------------------------------------------------------- malformed


@pytest.mark.parametrize(
    ("text", "row", "column", "message"),
    [
        (
            CLASSIC_HEADER + f"{serial(0)},0,10,0,0,0\n{serial(10)},abc,10,1,0,0\n",
            3,
            "DataCount (samples)",
            "'abc' is not a number",
        ),
        (
            CLASSIC_HEADER + f"{serial(0)},0,10,0,0,0\n{serial(10)},100,10,7,0,0\n",
            3,
            "ActivityCode",
            "unknown activity code 7; known codes are 0, 1, 2, 2.1, 3, 3.1, 3.2, 4, 5",
        ),
        (
            CLASSIC_HEADER + f"{serial(0)},100,10,0,0,0\n{serial(10)},100,10,1,0,0\n",
            3,
            "DataCount (samples)",
            "does not increase",
        ),
        (
            CLASSIC_HEADER + f"{serial(0)},0,-1,0,0,0\n",
            2,
            "Interval (s)",
            "negative event duration",
        ),
        (
            CLASSIC_HEADER + f"{serial(0)},0,10,0,5,0\n{serial(10)},100,10,1,4,0\n",
            3,
            "CumulativeStepCount",
            "goes down",
        ),
        (
            CLASSIC_HEADER + f"{serial(0)},0,10,0,0,0\n{serial(10)},100\n",
            3,
            "Interval (s)",
            "the row has 2 fields",
        ),
        (
            CLASSIC_HEADER + f"{serial(0)},0,,0,0,0\n",
            2,
            "Interval (s)",
            "an empty cell where a number is needed",
        ),
        (
            CLASSIC_HEADER + f"{serial(0)},0.5,10,0,0,0\n",
            2,
            "DataCount (samples)",
            "whole number",
        ),
        (
            '"Time","DataCount (samples)","Interval (s)"\n1,0,10\n',
            1,
            "ActivityCode",
            "the header has no ActivityCode / Event Type column",
        ),
        (EX_HEADER + "43429.0;x;0;0;nan;1;0;0;\n", 3, "Duration (s)", "not a finite number"),
        (EX_HEADER + "43429.0;x;0;9;10;1;0;0;\n", 3, "Event Type", "unknown activity code 9"),
        (CLASSIC_HEADER + "\n\n", 1, None, "the file has a header but no events"),
    ],
)
def test_malformed_files_name_row_and_column(
    tmp_path: Path, text: str, row: int, column: str | None, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RecordingError) as info:
        load_events(path)
    err = info.value
    assert err.row == row
    if column is None:
        assert err.column is None
    else:
        assert err.column is not None
        assert err.column.startswith(column)
    assert message in str(err)
    assert str(err).startswith(f"{path}: row {row}")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bin-Events.csv"
    path.write_bytes(b'"Time","DataCount"\n\xff\xfe\n')
    with pytest.raises(RecordingError, match="not UTF-8 text"):
        load_events(path, "activpal")


# --------------------------------------------------------------------------- real files


def shared(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data is optional)")
    return path


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "n"), [("Test1-EventsEx.csv", 6158), ("Test2-EventsEx.csv", 7884)]
)
def test_real_eventsex_files(name: str, n: int) -> None:
    loaded = load_events(shared(f"EventsEx1/{name}"))
    assert (loaded.events.n, loaded.warnings, loaded.gap_s) == (n, (), 0.0)
    ev = loaded.events
    assert loaded.timeline.n == int(ev.ticks[0]) + int(np.rint(ev.duration_s * 10).sum())


PAL_COLUMNS = {
    "Sedentary": ("sitting_s", "sitting_events"),
    "Standing": ("standing_s", "standing_events"),
    "Stepping": ("stepping_s", "stepping_events"),
    "Seconday Lying": ("lying_s", "lying_events"),  # PAL's spelling
}
PAL_CODE = {"sitting_s": 0.0, "standing_s": 1.0, "stepping_s": 2.0, "lying_s": 3.2}


def pal_midnight_split(ev: ActivPalEvents, periods: list[Period]) -> dict[tuple[str, str], float]:
    """PAL's day split, as a correction to our figures.

    The activPAL package cuts an event that crosses midnight into two, but the first
    part ends 0.1 s *before* midnight and the second starts at midnight 0.1 s longer,
    so it ends 0.1 s after the real event. So PAL reports 0.1 s less in the period
    ending at that midnight, and 0.1 s more in the period holding the event's end.
    """
    adjust: dict[tuple[str, str], float] = {}
    starts = ev.times_s
    ends = starts + np.rint(ev.duration_s * 10) / 10
    day_starts = sorted({p.start_s for p in periods if p.label.startswith("0000")})
    day_ends = sorted({p.end_s for p in periods if p.label.endswith("to 0000")})
    for midnight in {*day_starts, *day_ends}:
        for i in np.flatnonzero((starts < midnight) & (ends > midnight)):
            field = {v: k for k, v in PAL_CODE.items()}.get(float(ev.codes[i]))
            if field is None:
                continue
            for p in periods:
                if p.end_s == midnight:
                    adjust[(p.label, field)] = adjust.get((p.label, field), 0.0) - 0.1
                if p.start_s < ends[i] <= p.end_s:
                    adjust[(p.label, field)] = adjust.get((p.label, field), 0.0) + 0.1
    return adjust


@pytest.mark.shared_data
def test_oracle_pal_two_hour_summary_of_2018_11_25() -> None:
    loaded = load_events(shared("Test_Events.csv"))
    assert (loaded.events.n, loaded.warnings, loaded.gap_s) == (14219, (), 0.0)
    expected = list(csv.DictReader(shared("expected_summary/Test__2_summary.csv").open()))

    # PAL's expected output was made from a file where line 13806 is 3.2, not 3.1
    ev = loaded.events
    (i,) = np.flatnonzero(ev.rows == 13806)
    assert (ev.codes[i], ev.duration_s[i]) == (3.1, 18483.9)
    codes = ev.codes.copy()
    codes[i] = 3.2
    ev = dataclasses.replace(ev, codes=codes)
    tl, gap_ticks, warnings = events_timeline(ev)
    assert (gap_ticks, warnings) == (0, ())

    day = [
        p
        for p in clock_periods(tl.t0_s, tl.t0_s + tl.n * tl.dt_s, 2, None)
        if p.date == "2018-11-25"
    ]
    assert [p.label for p in day] == [row["period"] for row in expected]
    got = measures(tl, day, valid_day_wear_s=20 * 3600 / 12, steps=ev.step_counts())

    # all lying that day is secondary lying (3.2), PAL's only lying column here
    starts, ends = ev.times_s, ev.times_s + ev.duration_s
    that_day = (starts < day[-1].end_s) & (ends > day[0].start_s)
    assert set(ev.codes[that_day & (np.floor(ev.codes) == 3)]) == {3.2}

    adjust = pal_midnight_split(ev, day)
    # exactly two cells: the sitting event from 2018-11-24 into 00:00-02:00 and the one
    # from 22:00-00:00 into 2018-11-26
    assert adjust == {("0000 to 0200", "sitting_s"): 0.1, ("2200 to 0000", "sitting_s"): -0.1}

    for m, row in zip(got, expected, strict=True):
        assert isinstance(m, PeriodMeasures)
        assert m.steps == int(row["steps"]), m.label
        for pal, (duration_field, events_field) in PAL_COLUMNS.items():
            ours = getattr(m, duration_field)
            theirs = float(row[f"{pal} - duration"])
            assert round(ours + adjust.get((m.label, duration_field), 0.0), 1) == theirs, (
                m.label,
                pal,
            )
            assert abs(ours - theirs) <= 0.1 + 1e-9
            assert getattr(m, events_field) == int(row[f"{pal} - events"]), (m.label, pal)
        assert m.valid
    assert sum(m.steps or 0 for m in got) == 2006  # the R package's own test


def test_windows_line_endings_and_a_byte_order_mark(tmp_path: Path) -> None:
    text = (FIXTURES / "Test2-EventsEx_excerpt.csv").read_text()
    path = tmp_path / "crlf-EventsEx.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert detect_format(path) == "activpal"
    loaded = load_events(path)
    assert (loaded.events.n, loaded.events.variant, loaded.warnings) == (161, "eventsex", ())
