"""The C heap kept for reuse while a recording is read in blocks (issue 14): a longer
file costs few more page faults, not a fresh page for every temporary of every
block."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import pytest

from collector.recordings import RecordingError, heap, write_recording
from collector.recordings.chunked import stream_epochs
from collector.recordings.csv_writer import write_csv_chunk
from collector.recordings.heap import reuse_freed_heap
from collector.sources.simulator import simulate
from tests.collector.recordings.fresh_process import last_line_of

glibc_only = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc",
    reason="mallopt's thresholds are glibc's",
)

_FAULTS = """
import resource, sys
import pyarrow  # its own start-up faults are not the reading's
from collector.recordings.chunked import stream_epochs

before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
assert stream_epochs(sys.argv[1]) is not None
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults_of_reading(path: Path) -> int:
    return int(last_line_of(_FAULTS, str(path)))


def _desk_csv(path: Path, hours: float) -> int:
    with open(path, "wb") as f:
        rec = simulate("desk", hours, seed=5, fs_hz=25.0, trunk=False).recording
        write_csv_chunk(f, rec, header=True)
    return path.stat().st_size


@glibc_only
def test_the_thresholds_are_set() -> None:
    assert reuse_freed_heap()


@glibc_only
def test_a_longer_file_costs_few_more_page_faults(tmp_path: Path) -> None:
    """From 1 h to 9 h of 25 Hz thigh samples (4 to 37 MB of CSV), each added MB of
    CSV cost about 65 page faults with the heap kept (the per-second arrays that grow,
    pyarrow's own memory), and 200-320 with glibc's defaults, which gave the blocks'
    temporaries back to the kernel and took them again as new pages."""
    short_b, long_b = _desk_csv(tmp_path / "short.csv", 1.0), _desk_csv(tmp_path / "long.csv", 9.0)
    added = _faults_of_reading(tmp_path / "long.csv") - _faults_of_reading(tmp_path / "short.csv")
    per_mb = added / ((long_b - short_b) / 1e6)
    assert per_mb < 150, per_mb


@pytest.mark.parametrize("error", [OSError, AttributeError, TypeError])
def test_without_a_c_library_to_tune_reading_goes_on(
    monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    """No glibc (musl has no ``malloc_trim``, macOS no ``mallopt``; on Windows
    ``CDLL(None)`` is a TypeError): nothing set, nothing raised."""

    def no_library(_name: object) -> None:
        raise error("no C library here")

    monkeypatch.setattr(heap.ctypes, "CDLL", no_library)
    assert not heap.reuse_freed_heap()
    heap.give_back_freed_heap()


@pytest.fixture
def heap_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(heap, "reuse_freed_heap", lambda: calls.append("keep") or True)
    monkeypatch.setattr(heap, "give_back_freed_heap", lambda: calls.append("give back"))
    return calls


def test_the_heap_is_kept_only_while_blocks_are_read(tmp_path: Path, heap_calls: list[str]) -> None:
    """Kept for a streamed file and given back after it, also when a row stops the
    reading; a file read whole (a seat mat's) leaves the heap as glibc sets it."""
    seat = tmp_path / "seat.csv"
    write_recording(simulate("desk", 0.05, seed=2, seat=True).recording, seat)
    assert stream_epochs(seat) is None
    assert heap_calls == []
    desk = tmp_path / "desk.csv"
    write_recording(simulate("desk", 0.05, seed=2, trunk=False).recording, desk)
    assert stream_epochs(desk) is not None
    assert heap_calls == ["keep", "give back"]
    lines = desk.read_text().splitlines(keepends=True)
    lines[200] = "1000" + lines[200][lines[200].index(",") :]  # time goes backwards
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines))
    with pytest.raises(RecordingError):
        stream_epochs(bad)
    assert heap_calls == ["keep", "give back"] * 2
