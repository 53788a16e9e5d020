"""The FIT reader (collector/recordings/fit.py) on committed real rides, written rides
and the real files of ../shared/data/fit-rides."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import fitdecode
import numpy as np
import pytest

from analytics.ride import ride_seconds, summarize_ride
from collector.recordings.errors import RecordingError
from collector.recordings.fit import checksums_match, read_fit
from collector.recordings.sniff import is_fit_file
from tests.collector.recordings.fit_writer import (
    _RECORD,
    FIT_EPOCH_S,
    MARKER,
    RIDER_POSITION,
    SEATED,
    STANDING,
    START,
    STOP_ALL,
    TIMER,
    FitRide,
    _data,
    steady_ride,
    write_fit,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "fit"
SHARED = (REPO_ROOT / ".." / "shared" / "data" / "fit-rides").resolve()
T0 = 1_765_000_000
IGNORE = fitdecode.ErrorHandling.IGNORE


def timer_spells(path: Path) -> tuple[int, list[tuple[float, float]]]:
    """Timer seconds and the pauses (stop → next start), straight from fitdecode."""
    events = []
    with fitdecode.FitReader(
        str(path), check_crc=fitdecode.CrcCheck.DISABLED, error_handling=IGNORE
    ) as fr:
        for f in fr:
            if isinstance(f, fitdecode.FitDataMessage) and f.name == "event":
                ev, kind = f.get_value("event", fallback=None), f.get_value("event_type")
                if ev in ("timer", "session") and kind in ("start", "stop", "stop_all"):
                    events.append((f.get_value("timestamp").timestamp(), kind == "start"))
                elif ev == "session" and kind == "stop_disable_all":
                    events.append((f.get_value("timestamp").timestamp(), False))
    running = 0.0
    pauses = []
    for (t, on), (t2, on2) in itertools.pairwise(events):
        if on and not on2:
            running += t2 - t
        if not on and on2:
            pauses.append((t, t2))
    return int(running), pauses


def session_timer_s(path: Path) -> float:
    with fitdecode.FitReader(
        str(path), check_crc=fitdecode.CrcCheck.DISABLED, error_handling=IGNORE
    ) as fr:
        for f in fr:
            if isinstance(f, fitdecode.FitDataMessage) and f.name == "session":
                return float(f.get_value("total_timer_time"))
    raise AssertionError("no session")


def check_against_the_file(path: Path) -> None:
    loaded = read_fit(path)
    s = summarize_ride(loaded.ride)
    own = session_timer_s(path)
    # FIT event times are whole seconds: up to 1 s off a sub-second timer
    assert abs(s.timer_s - own) <= max(0.01 * own, 1.0)
    timer_s, pauses = timer_spells(path)
    assert s.timer_s == timer_s
    assert s.timer_stops == len(pauses)
    assert s.stopped_s == round(sum(b - a for a, b in pauses))
    assert s.riding_s <= s.timer_s
    assert s.riding_s + s.break_s >= s.timer_s  # breaks hold every second not ridden


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.fit")))
def test_committed_rides_agree_with_their_own_totals(name: str) -> None:
    check_against_the_file(FIXTURES / name)


def test_fixture_figures() -> None:
    s = summarize_ride(read_fit(FIXTURES / "2015-10-13-08-43-15.fit").ride)
    assert (s.timer_s, s.timer_stops, s.stopped_s, s.breaks) == (1558, 5, 65, 0)
    assert s.cadence_mean_rpm is None
    assert any("no cadence" in u for u in s.unknown)
    s = summarize_ride(read_fit(FIXTURES / "sample-activity-indoor-trainer.fit").ride)
    assert s.cadence_mean_rpm is not None
    assert 75 < s.cadence_mean_rpm < 95
    assert s.power_mean_w is not None
    assert s.speed_mean_mps is None
    assert any("no speed" in u for u in s.unknown)


def test_truncated_file_is_one_clear_error(tmp_path: Path) -> None:
    data = (FIXTURES / "sample-activity-indoor-trainer.fit").read_bytes()
    cut = write_bytes(tmp_path / "cut.fit", data[: len(data) // 2])
    with pytest.raises(RecordingError, match="truncated") as info:
        read_fit(cut)
    assert "\n" not in str(info.value)


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("seed", range(20))
def test_damaged_file_is_an_error_or_read_never_a_crash(tmp_path: Path, seed: int) -> None:
    data = bytearray((FIXTURES / "2015-10-13-08-43-15.fit").read_bytes())
    rng = np.random.default_rng(seed)
    at = int(rng.integers(14, len(data) - 40))
    data[at : at + 16] = rng.integers(0, 256, 16, dtype=np.uint8).tobytes()
    path = write_bytes(tmp_path / "damaged.fit", bytes(data))
    try:
        loaded = read_fit(path)
    except RecordingError as exc:
        message = str(exc)
    else:
        message = ""
        assert any("checksum" in w for w in loaded.warnings)
    assert "\n" not in message


def test_not_fit(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "x.fit", b"t_s,thigh_ax_g\n")
    assert not is_fit_file(path)
    with pytest.raises(RecordingError, match="not a FIT file"):
        read_fit(path)


def test_rider_position_events_and_session_totals(tmp_path: Path) -> None:
    events = [
        (T0, TIMER, START, 0),
        (T0 + 600, RIDER_POSITION, MARKER, STANDING),
        (T0 + 640, RIDER_POSITION, MARKER, SEATED),
        (T0 + 1800, TIMER, STOP_ALL, 0),
    ]
    fit = FitRide(steady_ride(T0, 1800), events, 1800.0, 40.0, 1)
    loaded = read_fit(write_fit(tmp_path / "pos.fit", fit))
    assert loaded.warnings == ()
    assert loaded.ride.session.stand_count == 1
    assert loaded.ride.session.time_standing_s == 40.0
    s = summarize_ride(loaded.ride)
    assert s.position_from == "events"
    assert (s.standing_s, s.seated_s, s.stands, s.seated_bouts) == (40, 1760, 1, 2)
    assert s.longest_seated_bout_s == 1800 - 640


def test_invalid_fields_are_missing_not_zero(tmp_path: Path) -> None:
    records = [(T0 + i, 8.0, None if i % 2 else 90, None) for i in range(100)]
    fit = FitRide(records, [(T0, TIMER, START, 0), (T0 + 100, TIMER, STOP_ALL, 0)])
    ride = read_fit(write_fit(tmp_path / "gaps.fit", fit)).ride
    assert np.isnan(ride.cadence_rpm[1::2]).all()
    assert (ride.cadence_rpm[::2] == 90).all()
    assert np.isnan(ride.power_w).all()
    assert math.isclose(float(ride.speed_mps[0]), 8.0)
    assert ride_seconds(ride).n == 100


def test_same_second_records_merge_backwards_ones_count(tmp_path: Path) -> None:
    records = [*steady_ride(T0, 50), (T0 + 49, None, 60, None)]
    backwards = _data(1, _RECORD, T0 + 10 - FIT_EPOCH_S, 5000, 70, 100)
    fit = FitRide(records, [], extra=[backwards])  # written after the others
    loaded = read_fit(write_fit(tmp_path / "order.fit", fit))
    assert loaded.ride.t_s.shape[0] == 50
    assert loaded.ride.cadence_rpm[-1] == 60.0  # the second record's cadence
    assert loaded.ride.speed_mps[-1] == 8.0  # and the first's speed, it had none
    assert loaded.dropped_records == 1
    assert any("back in time" in w for w in loaded.warnings)


# --------------------------------------------------------------------------- real files


def shared_files() -> list[Path]:
    return sorted(SHARED.glob("*.fit")) if SHARED.exists() else []


@pytest.mark.shared_data
@pytest.mark.parametrize("path", shared_files(), ids=lambda p: p.name)
def test_every_shared_ride_is_read_and_agrees(path: Path) -> None:
    check_against_the_file(path)


@pytest.mark.shared_data
def test_malformed_field_definitions_are_survived_and_counted() -> None:
    path = SHARED / "coros-pace-2-cycling-misaligned-fields.fit"
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data is optional)")
    loaded = read_fit(path)
    assert loaded.bad_fields == 5
    assert loaded.bad_messages == 5
    assert any("malformed" in w for w in loaded.warnings)
    assert loaded.ride.t_s.shape[0] == 11272
    s = summarize_ride(loaded.ride)
    assert s.timer_stops == 5


def test_checksums() -> None:
    data = (FIXTURES / "garmin-edge-820-bike.fit").read_bytes()
    assert checksums_match(data)
    assert checksums_match(data + data)  # a chained file
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    assert not checksums_match(bytes(flipped))
    assert not checksums_match(data + bytes(flipped))
    assert checksums_match(data[: len(data) // 2])  # truncated: the decoder says so
