"""InfluxDB line protocol (no server): the fast timeline lines are what Point writes,
the lines of each measurement, event timestamps, and the reasons a rejection is
counted under."""

from __future__ import annotations

import random
import string
import zlib

import numpy as np

from collector.sinks.history import influx_lines as lp
from collector.sinks.history.influx_v1 import rejection_reason
from collector.sinks.history.model import (
    BoutRecord,
    DailyRecord,
    EventRecord,
    PainReport,
    TimelineChunk,
)

USER = "p-0042"


# --- line protocol -----------------------------------------------------------------------


def _odd_text(rng: random.Random) -> str:
    alphabet = string.ascii_letters + ' ,="\\=äé°\t'
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))


def test_fast_timeline_lines_are_what_point_writes() -> None:
    rng = random.Random(5)
    nrng = np.random.default_rng(5)
    for _ in range(40):
        n = rng.randint(0, 50)
        hip = nrng.normal(90, 30, n)
        hip[nrng.random(n) < 0.2] = np.nan
        hip[::7] = np.round(hip[::7])  # whole numbers: Point writes "90", not "90.0"
        if n > 3:
            hip[0], hip[1], hip[2] = 90.0, np.inf, -0.0
        chunk = TimelineChunk(
            _odd_text(rng) or "u",
            rng.randint(0, 2_000_000_000),
            nrng.integers(-3, 7, n, dtype=np.int8),
            hip,
            nrng.integers(0, 3, n, dtype=np.int8),
            device=_odd_text(rng),
            sensor_kind=_odd_text(rng),
        )
        fast = lp.timeline_lines(chunk)
        slow = [p.to_line_protocol() for p in lp.timeline_points(chunk)]
        assert fast == slow


def test_the_lines_of_each_measurement() -> None:
    """The examples of docs/influxdb.md."""
    chunk = TimelineChunk(
        "p-0042",
        1795420800,
        np.array([1, 0], np.int8),
        np.array([93.5, np.nan]),
        np.array([0, 2], np.int8),
        device="thigh",
        sensor_kind="sitload-imu",
    )
    assert lp.timeline_lines(chunk) == [
        "timeline,device=thigh,sensor_kind=sitload-imu,user=p-0042 "
        "data=0i,hip_flexion_deg=93.5,posture=1i 1795420800",
        "timeline,device=thigh,sensor_kind=sitload-imu,user=p-0042 data=2i,posture=0i 1795420801",
    ]
    alert = EventRecord(
        "p-0042",
        1795422600.0,
        "alert",
        "stand_prompt",
        "stand_prompt-1795420800000-1",
        value=30.0,
        message="Stand up for 2–5 min",
        payload={"level": 1},
    )
    jitter = zlib.crc32(alert.id.encode()) % 1000
    assert lp.event_point(alert).to_line_protocol() == (
        "event,kind=stand_prompt,source=alert,user=p-0042 "
        'id="stand_prompt-1795420800000-1",message="Stand up for 2–5 min",'
        'payload="{\\"level\\":1}",t_s=1795422600,value=30 '
        f"{1795422600_000_000 + jitter}"
    )
    bout = BoutRecord("p-0042", 1795420800.0, 1795424400.0, 3540.0, 2, 600.0, 45.5, "break")
    assert lp.bout_point(bout).to_line_protocol() == (
        'bout,user=p-0042 end_s=1795424400,ended_by="break",hip_dose_deg_min=45.5,'
        "hip_gt90_s=600,micro_breaks=2i,seated_s=3540 1795420800000"
    )
    daily = DailyRecord(
        "p-0042", "2026-11-24", 1795392000.0, 21600.0, 1800.0, 3, 0.0, 4, 3, 1, 1, 0, 0
    )
    assert lp.daily_point(daily).to_line_protocol() == (
        'daily,user=p-0042 bouts_over_30=3i,compression_s=21600,date="2026-11-24",'
        "hip_gt90_s=1800,ignored=0i,late=1i,natural=1i,prompted=4i,saddle_s=0,snoozed=0i,"
        "taken=3i 1795392000"
    )
    pain = PainReport("p-0042", 1795418100.4, 3, "morning", "stiff")
    assert lp.pain_point(pain).to_line_protocol() == (
        'pain,user=p-0042,when=morning note="stiff",score=3i 1795418100'
    )
    # line breaks in text become spaces (not every line-protocol reader takes them)
    two_lines = PainReport("p-0042", 1795418100, 3, "now", "stiff\r\nafter the ride")
    assert 'note="stiff after the ride"' in lp.pain_point(two_lines).to_line_protocol()
    grouped = lp.to_lines([chunk, alert, bout, daily, pain])
    assert list(grouped) == ["s", "us", "ms"]
    assert len(grouped["s"]) == 4


def test_event_timestamps_are_distinct_per_id_and_stable() -> None:
    a = EventRecord(USER, 1795420800.1234, "alert", "stand_prompt", "stand_prompt-1-1")
    b = EventRecord(USER, 1795420800.1234, "alert", "stand_prompt", "stand_prompt-1-2")
    ta, tb = lp.event_time_us(a), lp.event_time_us(b)
    assert ta != tb
    assert ta == lp.event_time_us(EventRecord(USER, a.t_s, "alert", "x", a.id))
    for t in (ta, tb):
        assert 1795420800123_000 <= t < 1795420800124_000


def test_rejection_reasons_are_stable_and_short() -> None:
    reason, dropped = rejection_reason(
        'partial write: field type conflict: input field "posture" on measurement "timeline" '
        "is type integer, already exists as type string dropped=12"
    )
    assert dropped == 12
    assert reason.startswith("field type conflict")
    assert "dropped" not in reason
    reason, dropped = rejection_reason(
        "partial write: unable to parse 'bad line "
        + "x" * 500
        + "': invalid field format dropped=0"
    )
    assert dropped is None
    assert reason == "unable to parse '…': invalid field format"
