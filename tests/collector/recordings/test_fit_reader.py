"""The ride reader decodes only the messages a ride needs: on every real ride, and on
written rides with compressed timestamps after skipped messages, what a ride reads
is the same as with every message decoded."""

from __future__ import annotations

import struct
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from collector.recordings import fit_reader
from collector.recordings.fit import LoadedRide, read_fit
from tests.collector.recordings.fit_writer import (
    FIT_EPOCH_S,
    START,
    TIMER,
    FitRide,
    _data,
    _definition,
    steady_ride,
    write_fit,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "fit"
SHARED = (REPO_ROOT / ".." / "shared" / "data" / "fit-rides").resolve()


def assert_same(a: LoadedRide, b: LoadedRide) -> None:
    for f in fields(a.ride):
        x, y = getattr(a.ride, f.name), getattr(b.ride, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name
    assert (a.warnings, a.bad_fields, a.bad_messages, a.dropped_records) == (
        b.warnings,
        b.bad_fields,
        b.bad_messages,
        b.dropped_records,
    )


def read_both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[LoadedRide, LoadedRide]:
    skipped = read_fit(path)
    with monkeypatch.context() as m:
        m.setattr(fit_reader, "_HOOK", False)
        every = read_fit(path)
    return skipped, every


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.fit")), ids=lambda p: p.name)
def test_committed_rides_read_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same(*read_both(path, monkeypatch))


@pytest.mark.shared_data
def test_every_real_ride_reads_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted(SHARED.glob("*.fit"))
    assert len(paths) == 8
    for path in paths:
        assert_same(*read_both(path, monkeypatch))


def test_the_hook_is_in_use() -> None:
    """fitdecode still has what the skip needs (the pinned version)."""
    assert fit_reader._HOOK
    reader = fit_reader.ride_reader(str(FIXTURES / "garmin-edge-820-bike.fit"))
    assert isinstance(reader, fit_reader._RideReader)
    with reader:
        names = {getattr(frame, "name", None) for frame in reader}
    assert "record" in names


def test_a_compressed_timestamp_after_a_skipped_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record with a compressed-timestamp header counts from the last full timestamp,
    here the one of a message the reader skips (a maker's own message type)."""
    t0 = 1_765_000_000
    vendor = (65280, [(253, 4, 0x86, "I"), (0, 1, 0x02, "B")])
    compact = (20, [(6, 2, 0x84, "H"), (4, 1, 0x02, "B"), (7, 2, 0x84, "H")])
    stamp = t0 + 1000 - FIT_EPOCH_S
    offset = (stamp + 5) & 0x1F
    extra = (
        _definition(2, vendor)
        + _data(2, vendor, stamp, 7)
        + _definition(3, compact)
        + bytes([0x80 | (3 << 5) | offset])
        + struct.pack("<HBH", 8000, 90, 250)
    )
    ride = FitRide(steady_ride(t0, 100), [(t0, TIMER, START, 0)], extra=[extra])
    path = write_fit(tmp_path / "compressed.fit", ride)
    skipped, every = read_both(path, monkeypatch)
    assert_same(skipped, every)
    assert skipped.ride.t_s[-1] == t0 + 1005
    assert skipped.ride.cadence_rpm[-1] == 90
